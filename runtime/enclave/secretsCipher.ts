import { gcm } from '@noble/ciphers/aes.js'
import { randomBytes } from '@noble/ciphers/webcrypto.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, type Hex, hexToBytes, utf8 } from '../bytes.js'
import { type FunctionScope, scopeIdBytes } from './functionScope.js'
import { SecretsError } from './SecretsError.js'

/**
 * Secrets ciphertext, version 2 (X25519 ECIES):
 *
 *   0x02 || ephemeralPublicKey (32) || nonce (12) || AES-256-GCM(plaintext) || tag (16)
 *
 * key = HKDF-SHA256(ikm = X25519(ephemeral, worker), salt = "teefn/secrets/v1", info = ephemeralPublicKey ||
 * workerPublicKey, 32), unchanged from version 1; associated data = "teefn/secrets/v2" || scopeId (32 bytes),
 * so a ciphertext opens only for the function scope (chain, registry, functionId) it was made for.
 * Version 1 (associated data bound to the functionId alone) is refused.
 */
export const secretsFormat = { version: 2, label: 'teefn/secrets/v2' } as const

const label = utf8(secretsFormat.label)
// The key derivation is version 1's: the spec changes only the version byte and the associated data.
const keySalt = utf8('teefn/secrets/v1')
const headerLength = 1 + 32 + 12
const tagLength = 16
/** The shortest ciphertext: version, ephemeral key, nonce and tag around an empty plaintext. */
export const minSecretsCiphertextBytes = headerLength + tagLength

export type EncryptSecretsParameters = {
  /** The workers' X25519 encryption public key (`publicKeys.encryption`). */
  workerKey: Hex
  /** The function scope the secrets belong to: they open for no other chain, registry or functionId. */
  scope: FunctionScope
  /** A JSON object of strings, as `main(request, secrets)` receives it. */
  secrets: Record<string, string>
}

/** Encrypts an owner's secrets to the workers' key, bound to one function scope. Returns the ciphertext as hex. */
export function encryptSecrets({ workerKey, scope, secrets }: EncryptSecretsParameters): Hex {
  assertSecretsObject(secrets)
  return bytesToHex(encryptSecretsBytes(utf8(JSON.stringify(secrets)), workerKey, scope))
}

/** The byte-level form of `encryptSecrets`, for callers with their own plaintext encoding. */
export function encryptSecretsBytes(plaintext: Uint8Array, workerKey: Hex, scope: FunctionScope): Uint8Array {
  const workerPublicKey = hexToBytes(workerKey)
  if (workerPublicKey?.length !== 32) {
    throw new SecretsError('The worker encryption key must be a 32-byte X25519 public key in hex.', {
      code: 'SECRETS_INVALID',
      details: `got ${workerPublicKey ? `${workerPublicKey.length} bytes` : 'no 0x-prefixed hex'}`,
      hint: "Use the `encryption` key from the worker's attested public keys.",
    })
  }
  const aad = associatedData(scope)
  const ephemeral = x25519.utils.randomPrivateKey()
  const ephemeralPublicKey = x25519.getPublicKey(ephemeral)
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(ephemeral, workerPublicKey)
  } catch {
    // Noble refuses low-order points (an all-zero shared secret): the key cannot be a worker's.
    throw new SecretsError('The worker encryption key is not a usable X25519 public key.', {
      code: 'SECRETS_INVALID',
      hint: "Use the `encryption` key from the worker's attested public keys.",
    })
  }
  const key = messageKey(shared, ephemeralPublicKey, workerPublicKey)
  const nonce = randomBytes(12)
  const sealed = gcm(key, nonce, aad).encrypt(plaintext)
  return concatBytes(Uint8Array.of(secretsFormat.version), ephemeralPublicKey, nonce, sealed)
}

/**
 * Opens a secrets ciphertext with the worker's X25519 private key. Internal to the providers (which hold the
 * key); every failure is the same `SECRETS_INVALID` without any decrypted byte in it.
 */
export function openSecretsCiphertext(
  ciphertext: Uint8Array,
  privateKey: Uint8Array,
  workerPublicKey: Uint8Array,
  scope: FunctionScope,
): Uint8Array {
  const aad = associatedData(scope)
  if (ciphertext instanceof Uint8Array && ciphertext[0] === 1) {
    throw new SecretsError('Secrets ciphertext version 1 is no longer accepted.', {
      code: 'SECRETS_INVALID',
      details: 'version 1 binds the functionId only, not the chain and registry of the function',
      hint: 'Encrypt the secrets again with `teefn secrets encrypt --chain-id <id> --registry <address> --function-id <id>` (version 2).',
    })
  }
  if (
    !(ciphertext instanceof Uint8Array) ||
    ciphertext.length < headerLength + tagLength ||
    ciphertext[0] !== secretsFormat.version
  ) {
    throw new SecretsError('Secrets ciphertext is malformed.', {
      code: 'SECRETS_INVALID',
      details: `${ciphertext?.length ?? 0} bytes; expected version ${secretsFormat.version} and at least ${headerLength + tagLength} bytes`,
      hint: 'Encrypt the secrets again with `teefn secrets encrypt`.',
    })
  }
  const ephemeralPublicKey = ciphertext.subarray(1, 33)
  const nonce = ciphertext.subarray(33, headerLength)
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(privateKey, ephemeralPublicKey)
  } catch {
    throw invalidCiphertext()
  }
  try {
    return gcm(messageKey(shared, ephemeralPublicKey, workerPublicKey), nonce, aad).decrypt(
      ciphertext.subarray(headerLength),
    )
  } catch {
    throw invalidCiphertext()
  }
}

/** Parses decrypted secrets: a JSON object whose values are strings. Errors name no value. */
export function parseSecretsPlaintext(plaintext: Uint8Array): Record<string, string> {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext))
  } catch {
    throw new SecretsError('Decrypted secrets are not UTF-8 JSON.', {
      code: 'SECRETS_INVALID',
      details: `${plaintext.length} bytes`,
      hint: 'Encrypt a JSON object of strings with `teefn secrets encrypt`.',
    })
  }
  assertSecretsObject(parsed)
  return parsed
}

/** Throws `SECRETS_NOT_AN_OBJECT` unless `value` is a plain object of string values; names keys, never values. */
export function assertSecretsObject(value: unknown): asserts value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretsError('Secrets must be a JSON object of strings.', {
      code: 'SECRETS_NOT_AN_OBJECT',
      details: `got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    })
  }
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new SecretsError('Secrets must be a JSON object of strings.', {
        code: 'SECRETS_NOT_AN_OBJECT',
        details: `the value of ${JSON.stringify(name.slice(0, 64))} is ${entry === null ? 'null' : typeof entry}`,
        hint: 'Encode numbers and structures as strings; main() receives them as strings.',
      })
    }
  }
}

/** "teefn/secrets/v2" || scopeId; a malformed scope throws `FunctionScopeError`. */
function associatedData(scope: FunctionScope): Uint8Array {
  return concatBytes(label, scopeIdBytes(scope))
}

function messageKey(shared: Uint8Array, ephemeralPublicKey: Uint8Array, workerPublicKey: Uint8Array) {
  // Noble already refuses an all-zero secret (low-order point); keep the check where the key is made.
  if (shared.every((byte) => byte === 0)) throw invalidCiphertext()
  return hkdf(sha256, shared, keySalt, concatBytes(ephemeralPublicKey, workerPublicKey), 32)
}

function invalidCiphertext(): SecretsError {
  return new SecretsError('Secrets could not be decrypted.', {
    code: 'SECRETS_INVALID',
    details: 'authentication failed',
    hint: "The ciphertext was made for another worker key or another function scope (chain, registry, functionId), or was altered. Encrypt the secrets again to this scope and the workers' current key.",
  })
}
