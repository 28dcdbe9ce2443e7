import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from '../bytes.js'
import { BaseError } from '../errors/BaseError.js'

/** HKDF salt of `deriveSecret`: a guest's secrets can never equal any other teefn-derived key. */
export const deriveSecretSalt = 'teefn/deriveSecret/v1'
/** Longest `path` accepted, in UTF-8 bytes. */
export const maxDeriveSecretPathBytes = 1024

/**
 * What the sandbox's `deriveSecret(path)` returns to a guest: HKDF-SHA256(ikm = the function key from
 * `provider.deriveFunctionKey(scope)`, salt = "teefn/deriveSecret/v1", info = UTF-8 path), 32 bytes.
 * Deterministic for (function scope, path); different for another scope (another key) or another path.
 */
export function deriveSecretFromFunctionKey(functionKey: Uint8Array, path: string): Uint8Array {
  if (!(functionKey instanceof Uint8Array) || functionKey.length !== 32) {
    throw new BaseError('deriveSecret needs a 32-byte function key.', {
      code: 'DERIVE_SECRET_INVALID',
      details: `got ${functionKey instanceof Uint8Array ? `${functionKey.length} bytes` : typeof functionKey}`,
    })
  }
  if (typeof path !== 'string') {
    throw new BaseError('deriveSecret(path) needs a string path.', {
      code: 'DERIVE_SECRET_INVALID',
      details: `got ${typeof path}`,
    })
  }
  const info = utf8(path)
  if (info.length > maxDeriveSecretPathBytes) {
    throw new BaseError('deriveSecret(path) path is too long.', {
      code: 'DERIVE_SECRET_INVALID',
      details: `${info.length} bytes, the limit is ${maxDeriveSecretPathBytes}`,
      hint: 'Use a short, stable label such as "api-signing-key/v1".',
    })
  }
  return hkdf(sha256, functionKey, utf8(deriveSecretSalt), info, 32)
}
