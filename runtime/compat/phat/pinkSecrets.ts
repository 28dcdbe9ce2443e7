import { sha256 } from '@noble/hashes/sha2.js'
import { bytesOrHex, toHex } from './bytesOrHex.js'

/** teefn's `deriveSecret` (32 bytes for a path, per function scope): a sandbox global. */
declare const deriveSecret: (path: string) => Uint8Array

/**
 * `pink.deriveSecret(salt)`: 64 bytes, deterministic for (this function's scope, salt), like Phat's (which are per
 * contract and script). Built on teefn's `deriveSecret`: the salt's bytes are hashed into a short path (salts may be
 * long) and two 32-byte secrets under it are joined. They are not the bytes Phat derived: that key stays with Phala.
 */
export function pinkDeriveSecret(salt: unknown): Uint8Array {
  const path = `phat/deriveSecret/${toHex(sha256(bytesOrHex(salt, 'pink.deriveSecret: salt')))}`
  const secret = new Uint8Array(64)
  secret.set(deriveSecret(`${path}/0`), 0)
  secret.set(deriveSecret(`${path}/1`), 32)
  return secret
}

/**
 * `vrf(salt)` of `@phala/pink-env`: `pink.deriveSecret` of the salt prefixed with `vrf:`, spelled as Phat spells
 * it (`0x7672663a` followed by the salt's hex; a string salt is taken as hex, with or without `0x`).
 */
export function vrf(salt: Uint8Array | string): Uint8Array {
  let hex: string
  if (typeof salt === 'string') hex = salt.startsWith('0x') ? salt.slice(2) : salt
  else if (salt instanceof Uint8Array) hex = toHex(salt)
  else throw new TypeError('vrf: salt must be a Uint8Array or a string')
  const prefixed = `0x7672663a${hex}`
  const pink = (globalThis as { pink?: { deriveSecret?: (salt: string) => Uint8Array } }).pink
  // Phat's vrf goes through the global, as here; a salt that is not hex makes the whole string text.
  return (pink?.deriveSecret ?? pinkDeriveSecret)(prefixed)
}
