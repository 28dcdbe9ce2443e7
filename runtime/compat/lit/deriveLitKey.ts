import { secp256k1 } from '@noble/curves/secp256k1.js'

type DeriveSecret = (path: string) => Uint8Array

/**
 * The secp256k1 key that stands in for a Lit key: `deriveSecret('lit/pkp/<id>')` for a PKP (named by its public
 * key or id, `0x` and case ignored) or `deriveSecret('lit/action')` for the action's own key. Deterministic per
 * function scope, as a PKP is per key; it is teefn's key, not the PKP's, so a verifier must be given its public key.
 */
export function deriveLitKey(label: { pkp: string } | 'action'): Uint8Array {
  const derive = (globalThis as { deriveSecret?: DeriveSecret }).deriveSecret
  if (typeof derive !== 'function') throw new Error('Lit keys need deriveSecret, which this runtime lacks')
  const path = label === 'action' ? 'lit/action' : `lit/pkp/${normalizeKeyId(label.pkp)}`
  let key: Uint8Array
  try {
    key = derive(path)
  } catch (error) {
    throw new Error(
      `Lit keys are derived from the function's key, which this invocation does not have (${(error as Error).message}). Deploy the function and call it with its functionId, or run it with teefn run (which uses a dev key).`,
    )
  }
  // A 32-byte HKDF output is a valid scalar except with probability ~2^-128.
  if (!secp256k1.utils.isValidPrivateKey(key))
    throw new Error('the derived Lit key is not a valid secp256k1 key')
  return key
}

function normalizeKeyId(id: string): string {
  if (typeof id !== 'string' || id.length === 0)
    throw new Error('a PKP public key or id must be a non-empty string')
  const bare = id.startsWith('0x') || id.startsWith('0X') ? id.slice(2) : id
  if (bare.length > 200) throw new Error('a PKP public key or id is at most 200 characters')
  return bare.toLowerCase()
}
