import { Command, Option } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn migrate <file> --from <peer>`: what carries over from another platform's function, and what does not. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'Read a function written for another platform and say, API by API, what runs unmodified under --compat, what changes and what cannot carry over (exit 1 if anything cannot).',
    )
    .argument('<file>', 'the function as written for the other platform (.js or .ts)')
    .addOption(
      new Option('--from <platform>', 'the platform it was written for')
        .choices(['chainlink', 'phat', 'gelato', 'lit'])
        .makeOptionMandatory(),
    )
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/migrate.js')).migrateAction))
}
