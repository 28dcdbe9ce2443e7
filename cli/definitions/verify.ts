import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'
import { addTrustOptions } from './trustOptions.js'

/**
 * `teefn verify <envelope.json>`: exit 0 and the signer when the envelope is valid and signed by a worker the
 * user trusts (`--worker`, `--attestation`); `teefn verify --substrate <ws-url> --block --extrinsic`: the teefn
 * results an extrinsic put on a Substrate chain.
 */
export function verifyCommand(): Command {
  const command = new Command('verify')
    .description(
      'Verify a signed result envelope (EVM EIP-712 or Substrate sr25519) and print its signer; with --substrate, read it from a Substrate chain.',
    )
    .argument('[envelope]', 'envelope JSON file, or - for stdin (not with --substrate)')
    .option('--substrate <ws-url>', 'read the result remark(s) from this Substrate node instead of a file')
    .option('--block <hash|number>', 'with --substrate: the block that holds the result')
    .option('--extrinsic <index>', 'with --substrate: the index of the result extrinsic in that block')
    .option(
      '--worker <pubkey|address>',
      'the worker that must have signed it (evm address or secp256k1 key; sr25519 key or SS58); with --substrate, repeat it to name the workers a quorum result may be signed by',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--quorum <k>',
      'with --substrate: at least k distinct workers (from the --worker set, when given) must agree on one answer',
    )
    .option('--chain-id <id>', 'the chain it must be for (evm chain id, or substrate genesis hash)')
    .option('--destination <address>', 'the consumer contract (or substrate destination) it must be for')
    .option('--request-id <bytes32>', 'the request it must answer')
    .option('--function-id <bytes32>', 'the function it must come from')
    .option('--payload-hash <bytes32>', 'keccak256 of the payload it must answer')
    .option('--code-hash <bytes32>', 'the code that must have produced it')
    .option(
      '--attestation <file|url>',
      'a worker attestation (a teefn server URL, or a file with what its /v1/attestation serves): the envelope must be signed by the key it binds',
    )
  return addTrustOptions(command)
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/verify.js')).verifyAction))
}
