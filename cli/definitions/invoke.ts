import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'
import { positiveInteger } from './optionParsers.js'
import { addTrustOptions } from './trustOptions.js'

/**
 * `teefn invoke <codeHash>`: checks the server's worker attestation (or takes the key `--worker` pins), calls
 * the function through the server, and prints the result only once the envelope verifies.
 */
export function invokeCommand(): Command {
  const command = new Command('invoke')
    .description(
      "Invoke an uploaded function through a teefn server; print its result once the envelope verifies against the worker's attested key.",
    )
    .argument('<codeHash>', 'the function (bytes32 codeHash, as teefn deploy printed it)')
    .option('--request <string>', 'the request string passed to main (default: empty)')
    .option('--request-file <path>', 'read the request string from a file (- for stdin)')
    .option(
      '--function-id <bytes32>',
      "run as this function of the chain's registry (which must name this codeHash); it gets its secrets only if the owner's settings allow HTTP calls",
    )
    .option(
      '--chain-id <id>',
      "with --function-id: the EVM chain of its registry (default: the server's first)",
    )
    .option('--async', 'queue the call and print the job id at once (follow it with teefn jobs <id>)')
    .option(
      '--wait <ms>',
      'how long the server waits for the result; when it ends first the job id is printed and the exit status is 1',
      positiveInteger,
    )
    .option('--timeout <ms>', "the function's wall-clock deadline (default 10000)", positiveInteger)
    .option(
      '--worker <address>',
      "a worker key you verified elsewhere: the envelope must be signed by it (the server's attestation is then not used)",
    )
  return addTrustOptions(command)
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/invoke.js')).invokeAction))
}
