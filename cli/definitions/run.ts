import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'
import { collect, positiveInteger } from './optionParsers.js'

/**
 * `teefn run <file>`: runs a function once in the sandbox, as a worker would, and prints what it did; with
 * `--watch`, again on every save.
 */
export function runCommand(): Command {
  return new Command('run')
    .description('Run a function once in the QuickJS sandbox and print its logs and result.')
    .argument('<file>', 'the function (.ts or .js); it is bundled first when it imports anything')
    .option('--request <string>', 'the request string passed to main (default: empty)')
    .option('--request-file <path>', 'read the request string from a file')
    .option('--secrets <json>', 'secrets passed to main, as a JSON object of strings')
    .option(
      '--allow-host <host[:port]>',
      'let fetch reach this host even on a private address (repeatable)',
      collect,
      [],
    )
    .option(
      '--mock <file>',
      'answer every fetch from this JSON file of mocks instead of the network (limits still apply)',
    )
    .option('--timeout <ms>', 'wall-clock deadline in milliseconds (default 10000)', positiveInteger)
    .option('--memory <MiB>', 'memory limit in MiB (default 64)', positiveInteger)
    .option('--json', 'print one JSON object (with --watch, one per line for each run)')
    .option('--watch', 'run again whenever the file or a file it imports changes, until Ctrl-C')
    .action(lazyAction(async () => (await import('../commands/run.js')).runAction))
}
