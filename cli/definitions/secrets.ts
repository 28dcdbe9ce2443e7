import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'
import { addOwnerRecordOptions } from './ownerRecordOptions.js'
import { addTrustOptions } from './trustOptions.js'

const load = () => import('../commands/secrets.js')

/**
 * `teefn secrets encrypt|put|delete`: a function's secrets, encrypted to the attested worker key for one
 * function scope and signed by the function's on-chain owner.
 */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description(
    "Encrypt a function's secrets for the workers, and store or delete them signed by its owner.",
  )
  secrets
    .command('encrypt')
    .description(
      "Encrypt a JSON object of strings to the workers' encryption key, for one function scope (chain, registry, functionId).",
    )
    .requiredOption('--worker-key <pubkey>', "the workers' X25519 encryption public key (0x-hex, 32 bytes)")
    .requiredOption('--chain-id <id>', 'evm: the chain id (decimal); substrate: the genesis hash (0x-hex)')
    .option(
      '--registry <address>',
      'evm: the TeefnRegistry address that names the function (not for substrate)',
    )
    .requiredOption('--function-id <id>', 'the functionId (bytes32, 0x-hex) the secrets belong to')
    .option('--family <family>', 'evm or substrate', 'evm')
    .requiredOption(
      '--secrets <json|@file>',
      'a JSON object of strings, or @file (or a file path) holding one (@- for stdin)',
    )
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await load()).secretsEncryptAction))

  const put = secrets
    .command('put')
    .description(
      "Verify the server's worker attestation, encrypt the secrets to its attested key for the scope, sign them with the owner key (EIP-712 SecretsUpdate) and store them (PUT /v1/secrets).",
    )
    .requiredOption(
      '--secrets <json|@file>',
      'a JSON object of strings, or @file (or a file path) holding one (@- for stdin)',
    )
  addTrustOptions(addOwnerRecordOptions(put)).action(lazyAction(async () => (await load()).secretsPutAction))

  const remove = secrets
    .command('delete')
    .description(
      "Delete a function's secrets: the owner signs a SecretsUpdate with no ciphertext, kept as a tombstone (DELETE /v1/secrets).",
    )
  addOwnerRecordOptions(remove).action(lazyAction(async () => (await load()).secretsDeleteAction))
  return secrets
}
