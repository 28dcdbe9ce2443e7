import { Command, Option } from 'commander'
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
    .option(
      '--request <string>',
      'the request string passed to main (default: empty; with --compat phat: scriptArgs[0], 0x-hex)',
    )
    .option('--request-file <path>', 'read the request string from a file')
    .option(
      '--secrets <json>',
      'secrets passed to main, as a JSON object of strings (with --compat phat: the secrets string)',
    )
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
    .option(
      '--max-fetches <n>',
      'fetches per invocation (default 16; 5 with --compat chainlink)',
      positiveInteger,
    )
    .option(
      '--result-bytes <n>',
      'result size limit (default 65536; 256 with --compat chainlink)',
      positiveInteger,
    )
    .addOption(
      new Option(
        '--compat <platform>',
        'run a source written for another platform, unmodified (chainlink: a Chainlink Functions source; phat: a Phat function; gelato: a Gelato Web3 Function; lit: a Lit Action)',
      ).choices(['chainlink', 'phat', 'gelato', 'lit']),
    )
    .option('--args <json>', 'with --compat chainlink: the args global, a JSON array of strings')
    .option(
      '--bytes-args <json>',
      'with --compat chainlink: the bytesArgs global, a JSON array of 0x-hex strings',
    )
    .option(
      '--js-params <json>',
      'with --compat lit: the jsParams, a JSON object (its entries become globals)',
    )
    .option(
      '--dev-key <hex>',
      "the function key deriveSecret and Lit's keys derive from, 32 bytes of 0x-hex (a dev key, not an enclave's; default with --compat lit or phat: random per run)",
    )
    .option(
      '--user-args <json|file>',
      'with --compat gelato: context.userArgs, a JSON object or a file of one',
    )
    .option(
      '--storage <file>',
      'with --compat gelato: the storage (JSON), read before the run and written back after a successful one',
    )
    .option(
      '--rpc <[chainId=]url>',
      'with --compat gelato: the JSON-RPC URL of the default chain, or of chainId (repeatable)',
      collect,
      [],
    )
    .option(
      '--chain-id <id>',
      'with --compat gelato: gelatoArgs.chainId (default: asked of --rpc)',
      positiveInteger,
    )
    .option('--gas-price <wei>', 'with --compat gelato: gelatoArgs.gasPrice (default: asked of --rpc)')
    .option('--rpc-calls <n>', 'with --compat gelato: RPC calls per run (default 5)', positiveInteger)
    .option('--json', 'print one JSON object (with --watch, one per line for each run)')
    .option('--watch', 'run again whenever the file or a file it imports changes, until Ctrl-C')
    .action(lazyAction(async () => (await import('../commands/run.js')).runAction))
}
