import { gcm } from '@noble/ciphers/aes.js'
import { randomBytes } from '@noble/ciphers/webcrypto.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8 } from '../bytes.js'
import { type FunctionScope, scopeId, scopeIdBytes } from '../enclave/functionScope.js'
import { GelatoStorageError } from './GelatoStorageError.js'

/**
 * Sealed Gelato storage, format 1:
 *
 *   0x01 || nonce (12) || AES-256-GCM(JSON of the storage) || tag (16)
 *
 * key = HKDF-SHA256(ikm = the function key of the scope, salt = "teefn/gelato-storage/v1", info = scopeId), so
 * only the enclave opens it, and a guest's `deriveSecret` (salt "teefn/deriveSecret/v1") never yields it;
 * associated data = "teefn/gelato-storage/v1" || scopeId (32 bytes) || version (8 bytes, big-endian), so a blob
 * opens only for its function scope and under the version it was written as.
 */
export const gelatoStorageFormat = { version: 1, label: 'teefn/gelato-storage/v1' } as const

const label = utf8(gelatoStorageFormat.label)
const nonceLength = 12
const headerLength = 1 + nonceLength

export type SealGelatoStorageParameters = {
  /** The scope's function key (`provider.deriveFunctionKey(scope)`), 32 bytes. */
  functionKey: Uint8Array
  scope: FunctionScope
  /** The version this blob is stored as (1 for the first write, then +1 per write). */
  version: number
  storage: Record<string, string>
}

/** Encrypts and authenticates a function's storage for its scope and version. */
export function sealGelatoStorage({
  functionKey,
  scope,
  version,
  storage,
}: SealGelatoStorageParameters): Uint8Array {
  const nonce = randomBytes(nonceLength)
  const sealed = gcm(storageKey(functionKey, scope), nonce, associatedData(scope, version)).encrypt(
    utf8(JSON.stringify(storage)),
  )
  return concatBytes(Uint8Array.of(gelatoStorageFormat.version), nonce, sealed)
}

export type OpenGelatoStorageParameters = Omit<SealGelatoStorageParameters, 'storage'> & {
  sealed: Uint8Array
}

/**
 * Opens what `sealGelatoStorage` produced for this scope and version. Anything else (another function's blob,
 * a changed byte or version, another worker's key) throws `GelatoStorageError` `GELATO_STORAGE_UNREADABLE`.
 */
export function openGelatoStorage({
  functionKey,
  scope,
  version,
  sealed,
}: OpenGelatoStorageParameters): Record<string, string> {
  if (sealed.length < headerLength + 16 || sealed[0] !== gelatoStorageFormat.version)
    throw unreadable(scope, version, `not a format-${gelatoStorageFormat.version} sealed storage`)
  let plaintext: Uint8Array
  try {
    plaintext = gcm(
      storageKey(functionKey, scope),
      sealed.subarray(1, headerLength),
      associatedData(scope, version),
    ).decrypt(sealed.subarray(headerLength))
  } catch {
    throw unreadable(scope, version, 'it does not authenticate')
  }
  // Authenticated, so written by this enclave: a malformed plaintext would be a bug, still refused.
  const storage = JSON.parse(new TextDecoder().decode(plaintext)) as unknown
  if (typeof storage !== 'object' || storage === null || Array.isArray(storage))
    throw unreadable(scope, version, 'it is not a storage object')
  return storage as Record<string, string>
}

function storageKey(functionKey: Uint8Array, scope: FunctionScope): Uint8Array {
  if (!(functionKey instanceof Uint8Array) || functionKey.length !== 32)
    throw new TypeError('The Gelato storage key needs the 32-byte function key')
  return hkdf(sha256, functionKey, label, scopeIdBytes(scope), 32)
}

function associatedData(scope: FunctionScope, version: number): Uint8Array {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new RangeError(`A Gelato storage version is a positive integer, got ${version}`)
  const versionBytes = new Uint8Array(8)
  new DataView(versionBytes.buffer).setBigUint64(0, BigInt(version))
  return concatBytes(label, scopeIdBytes(scope), versionBytes)
}

function unreadable(scope: FunctionScope, version: number, why: string): GelatoStorageError {
  return new GelatoStorageError('The Gelato storage of this function cannot be opened by this worker.', {
    code: 'GELATO_STORAGE_UNREADABLE',
    details: `Scope ${scopeId(scope)}, stored version ${version}: ${why}. It was altered, copied from another function, or sealed by another enclave.`,
    hint: "Restore the blob this node's worker wrote, or delete the function's storage key to start it empty (its state is lost).",
  })
}
