import type { Command } from 'commander'

/** Adds the scope, owner key, version and server flags of `secrets put|delete` and `settings put`. */
export function addOwnerRecordOptions(command: Command): Command {
  return command
    .requiredOption('--chain-id <id>', 'the EVM chain id (decimal) of the registry')
    .requiredOption('--registry <address>', 'the TeefnRegistry address that names the function and its owner')
    .requiredOption('--function-id <bytes32>', 'the functionId (0x + 64 hex digits)')
    .option(
      '--key <file|env:NAME>',
      "a file holding the function owner's private key (0x-hex), or env:NAME for an environment variable",
    )
    .option('--private-key-env <NAME>', "an environment variable holding the owner's private key")
    .option(
      '--version <n>',
      'the record version, above the stored one (default: the current unix time in seconds)',
    )
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option('--json', 'print one JSON object')
}
