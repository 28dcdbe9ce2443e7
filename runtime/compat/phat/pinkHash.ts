import { blake2b } from '@noble/hashes/blake2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesOrHex } from './bytesOrHex.js'

const algorithms: Record<string, (message: Uint8Array) => Uint8Array> = {
  // ink's Blake2x128 and Blake2x256: BLAKE2b with a 16- or 32-byte output (not a truncated 32-byte hash).
  blake2b128: (message) => blake2b(message, { dkLen: 16 }),
  blake2b256: (message) => blake2b(message, { dkLen: 32 }),
  sha256,
  keccak256: keccak_256,
}

/**
 * `pink.hash(algorithm, message)` as Phat's runtime defines it: `blake2b128`, `blake2b256`, `sha256` or
 * `keccak256` of the message's bytes (`bytesOrHex`); another algorithm throws `Unsupported hash algorithm: <name>`.
 */
export function pinkHash(algorithm: unknown, message: unknown): Uint8Array {
  const hash = typeof algorithm === 'string' ? algorithms[algorithm] : undefined
  if (!hash) throw new Error(`Unsupported hash algorithm: ${String(algorithm)}`)
  return hash(bytesOrHex(message, 'pink.hash: message'))
}
