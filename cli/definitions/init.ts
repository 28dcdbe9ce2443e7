import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn init [dir]`: creates a function project (function, test, consumer contract, README) to start from. */
export function initCommand(): Command {
  return new Command('init')
    .description(
      'Create a function project: a TypeScript function, its test, a consumer contract and a README.',
    )
    .argument('[dir]', 'a new or empty folder (default: the current one)', '.')
    .action(lazyAction(async () => (await import('../commands/init.js')).initAction))
}
