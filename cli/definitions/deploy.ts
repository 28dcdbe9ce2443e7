import { Command, Option } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn deploy <entry|bundle>`: bundles when needed, uploads with the owner's signature, prints the codeHash. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('Bundle a function (when needed) and upload it to a teefn server; prints its codeHash.')
    .argument(
      '<entry|bundle>',
      'a .ts/.js entry (bundled with its imports), or a self-contained .js bundle (uploaded byte for byte)',
    )
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option(
      '--key <file>',
      "a file holding the owner's private key (0x-hex); the upload is signed with it (EIP-191) and the owner recorded",
    )
    .option('--api-key <key>', 'an operator API key instead of an owner signature (default: TEEFN_API_KEY)')
    .option('--owner <address>', 'with an API key: the owner to record')
    .option('--minify', 'minify when bundling')
    .addOption(
      new Option(
        '--compat <platform>',
        'bundle a source written for another platform, unmodified (chainlink: a Chainlink Functions source; phat: a Phat function; gelato: a Gelato Web3 Function; lit: a Lit Action)',
      ).choices(['chainlink', 'phat', 'gelato', 'lit']),
    )
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/deploy.js')).deployAction))
}
