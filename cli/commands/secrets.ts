import { Command } from 'commander'
import { type Hex, isHex } from '../../runtime/enclave/bytes.js'
import { FunctionScopeError } from '../../runtime/enclave/FunctionScopeError.js'
import { type FunctionScope, parseFunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import { SecretsError } from '../../runtime/enclave/SecretsError.js'
import { encryptSecrets, secretsFormat } from '../../runtime/enclave/secretsCipher.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

type EncryptOptions = {
  workerKey: string
  family: string
  chainId: string
  registry?: string
  functionId: string
  secrets: string
  json?: boolean
}

/** The flag that sets each scope field, for usage errors. */
const scopeFlags: Record<string, string> = {
  family: '--family',
  chainId: '--chain-id',
  registry: '--registry',
  functionId: '--function-id',
}

/** `teefn secrets encrypt`: encrypts an owner's secrets to the workers' key, bound to one function scope. */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description("Encrypt a function's secrets for the workers.")
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
    .requiredOption('--secrets <json|file>', 'a JSON object of strings, or a file holding one (- for stdin)')
    .option('--json', 'print one JSON object')
    .action(async (options: EncryptOptions) => {
      if (!isHex(options.workerKey) || options.workerKey.length !== 66) {
        throw new UsageError(
          '--worker-key must be 32 bytes of 0x-hex',
          "use the worker's `encryption` public key",
        )
      }
      const scope = scopeOf(options)
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
          workerKey: options.workerKey as Hex,
          scope,
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
          scope,
          scopeId: scopeId(scope),
          workerKey: options.workerKey.toLowerCase(),
          format: secretsFormat.label,
        })
      } else {
        process.stdout.write(`${ciphertext}\n`)
      }
    })
  return secrets
}

/** The scope the flags name, canonical; a bad flag is a usage error naming it. */
function scopeOf(options: EncryptOptions): FunctionScope {
  const substrate = options.family === 'substrate'
  if (substrate && options.registry !== undefined && options.registry !== '0x') {
    throw new UsageError('--registry is for evm scopes only', 'substrate functions have no registry contract')
  }
  if (!substrate && options.registry === undefined && options.family === 'evm') {
    throw new UsageError('--registry is required for evm scopes', 'pass the TeefnRegistry address')
  }
  try {
    return parseFunctionScope({
      family: options.family,
      chainId: options.chainId,
      registry: substrate ? '0x' : options.registry,
      functionId: options.functionId,
    })
  } catch (error) {
    if (!(error instanceof FunctionScopeError)) throw error
    // details read "<field> must be ...": name the flag instead of the field.
    const what = error.details?.startsWith(`${error.field} `)
      ? error.details.slice(error.field.length + 1)
      : 'is invalid'
    throw new UsageError(
      `${scopeFlags[error.field] ?? error.field} ${what}`,
      error.field === 'chainId'
        ? 'evm: a decimal chain id such as 1; substrate: the 0x genesis hash'
        : undefined,
    )
  }
}
