import { Command, Option } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn build <entry>`: bundles a function into one ES module and prints its size and codeHash. */
export function buildCommand(): Command {
  return new Command('build')
    .description(
      'Bundle a function and its imports into one ES module (at most 1 MiB) and print its codeHash.',
    )
    .argument(
      '<entry>',
      'the function: a .ts or .js file whose default export is main(request, secrets, context)',
    )
    .option(
      '-o, --output <file>',
      'where to write the bundle (default: dist/<entry name>.js beside the entry)',
    )
    .option('--minify', 'minify the bundle')
    .addOption(
      new Option(
        '--compat <platform>',
        'build a source written for another platform, unmodified (chainlink: a Chainlink Functions source; phat: a Phat function; gelato: a Gelato Web3 Function; lit: a Lit Action)',
      ).choices(['chainlink', 'phat', 'gelato', 'lit']),
    )
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/build.js')).buildAction))
}
