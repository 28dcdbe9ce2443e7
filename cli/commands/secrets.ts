import { type Hex, isHex } from '../../runtime/bytes.js'
import { type FunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import { signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { SecretsError } from '../../runtime/enclave/SecretsError.js'
import { assertSecretsObject, encryptSecrets, secretsFormat } from '../../runtime/enclave/secretsCipher.js'
import { describeAttestation } from '../attestation/reportAttestation.js'
import { resolveTrustPolicy, type TrustOptions } from '../attestation/trustOptions.js'
import { trustWorker } from '../attestation/trustWorker.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { callApi } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'
import {
  type OwnerRecordMetadata,
  type OwnerRecordOptions,
  printOwnerRecord,
  resolveOwnerRecord,
} from './ownerRecordOptions.js'
import { scopeFromFlags } from './scopeFlags.js'

type EncryptOptions = {
  workerKey: string
  family: string
  chainId: string
  registry?: string
  functionId: string
  secrets: string
  json?: boolean
}

type PutOptions = OwnerRecordOptions & TrustOptions & { secrets: string }

/** `teefn secrets encrypt`: secrets encrypted to the workers' key for one function scope, printed. */
export async function secretsEncryptAction(options: EncryptOptions): Promise<void> {
  if (!isHex(options.workerKey) || options.workerKey.length !== 66) {
    throw new UsageError(
      '--worker-key must be 32 bytes of 0x-hex',
      "use the worker's `encryption` public key",
    )
  }
  const scope = scopeFromFlags(options)
  const value = await readSecretsInput(options.secrets)
  const ciphertext = encrypt(options.workerKey as Hex, scope, value)
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
}

/**
 * `teefn secrets put`: the secrets encrypted to the attested worker key for the scope, signed by the function's
 * on-chain owner, stored.
 */
export async function secretsPutAction(options: PutOptions): Promise<void> {
  const { scope, version, server } = resolveOwnerRecord(options)
  const value = await readSecretsInput(options.secrets)
  const policy = await resolveTrustPolicy(options)
  const owner = await readOwnerKey(options)
  const attested = await trustWorker({ source: server, policy, json: options.json })
  if (!attested) return
  const ciphertext = encrypt(attested.publicKeys.encryption, scope, value)
  const record = await signSecretsUpdate(owner, { scope, ciphertext, version })
  const { body } = await callApi<OwnerRecordMetadata>({
    server,
    method: 'PUT',
    path: '/v1/secrets',
    json: record,
  })
  const attestation = describeAttestation(attested)
  printOwnerRecord({
    what: 'secrets',
    verb: 'stored',
    body,
    server,
    json: options.json,
    extra: {
      json: { encryptedTo: attested.publicKeys.encryption, attestation: attestation.json },
      lines: [`  encrypted to worker key ${attested.publicKeys.encryption} (${attestation.phrase})`],
    },
  })
}

/** `teefn secrets delete`: the owner's signed deletion, kept as a tombstone. */
export async function secretsDeleteAction(options: OwnerRecordOptions): Promise<void> {
  const { scope, version, server } = resolveOwnerRecord(options)
  const owner = await readOwnerKey(options)
  const record = await signSecretsUpdate(owner, { scope, ciphertext: '0x', version })
  const { body } = await callApi<OwnerRecordMetadata>({
    server,
    method: 'DELETE',
    path: '/v1/secrets',
    json: record,
  })
  printOwnerRecord({ what: 'secrets', verb: 'deleted', body, server, json: options.json })
}

/**
 * The secrets, inline (`{...}`) or from `@file` (or a plain path), checked to be a JSON object of strings before
 * anything is sent anywhere. A usage error never repeats the content.
 */
async function readSecretsInput(input: string): Promise<Record<string, string>> {
  const inline = input.trimStart().startsWith('{')
  const path = input.startsWith('@') ? input.slice(1) : input
  const text = inline ? input : (await readInputFile(path, 'secrets')).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // JSON.parse messages quote the input: never repeat it, it holds secrets.
    throw new UsageError(`the secrets ${inline ? 'given inline' : `in ${path}`} are not valid JSON`)
  }
  try {
    assertSecretsObject(value)
  } catch (error) {
    throw usageErrorOf(error)
  }
  return value
}

function encrypt(workerKey: Hex, scope: FunctionScope, secrets: Record<string, string>): Hex {
  try {
    return encryptSecrets({ workerKey, scope, secrets })
  } catch (error) {
    throw usageErrorOf(error)
  }
}

/** A `SecretsError` (names keys, never values) as a usage error; anything else as it is. */
function usageErrorOf(error: unknown): unknown {
  if (!(error instanceof SecretsError)) return error
  return new UsageError(`${error.shortMessage}${error.details ? ` (${error.details})` : ''}`, error.hint)
}
