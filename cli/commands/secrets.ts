import { Command } from 'commander'
import { isHex } from '../../runtime/enclave/bytes.js'
import { SecretsError } from '../../runtime/enclave/SecretsError.js'
import { encryptSecrets, secretsFormat } from '../../runtime/enclave/secretsCipher.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

type EncryptOptions = { workerKey: string; function: string; secrets: string; json?: boolean }

/** `teefn secrets encrypt`: encrypts an owner's secrets to the workers' key, bound to one function. */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description("Encrypt a function's secrets for the workers.")
  secrets
    .command('encrypt')
    .description("Encrypt a JSON object of strings to the workers' encryption key, for one functionId.")
    .requiredOption('--worker-key <pubkey>', "the workers' X25519 encryption public key (0x-hex, 32 bytes)")
    .requiredOption('--function <id>', 'the functionId (bytes32, 0x-hex) the secrets belong to')
    .requiredOption('--secrets <json|file>', 'a JSON object of strings, or a file holding one (- for stdin)')
    .option('--json', 'print one JSON object')
    .action(async (options: EncryptOptions) => {
      if (!isHex(options.workerKey) || options.workerKey.length !== 66) {
        throw new UsageError(
          '--worker-key must be 32 bytes of 0x-hex',
          "use the worker's `encryption` public key",
        )
      }
      if (!isHex(options.function) || options.function.length !== 66) {
        throw new UsageError('--function must be a bytes32 functionId (0x followed by 64 hex digits)')
      }
      const inline = options.secrets.trimStart().startsWith('{')
      const text = inline
        ? options.secrets
        : (await readInputFile(options.secrets, 'secrets')).toString('utf8')
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        // JSON.parse messages quote the input: never repeat it, it holds secrets.
        throw new UsageError(
          `the secrets ${inline ? 'given inline' : `in ${options.secrets}`} are not valid JSON`,
        )
      }
      let ciphertext: string
      try {
        ciphertext = encryptSecrets({
          workerKey: options.workerKey,
          functionId: options.function,
          secrets: value as Record<string, string>,
        })
      } catch (error) {
        if (error instanceof SecretsError) {
          throw new UsageError(
            `${error.shortMessage}${error.details ? ` (${error.details})` : ''}`,
            error.hint,
          )
        }
        throw error
      }
      if (options.json) {
        printJson({
          ciphertext,
          functionId: options.function.toLowerCase(),
          workerKey: options.workerKey.toLowerCase(),
          format: secretsFormat.label,
        })
      } else {
        process.stdout.write(`${ciphertext}\n`)
      }
    })
  return secrets
}
