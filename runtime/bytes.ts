/**
 * Bytes and `0x`-hex, in one place for every layer. What @noble and viem already provide is re-exported;
 * what is written here differs on purpose: `hexToBytes` returns undefined instead of throwing (callers raise
 * their own typed error naming the field), `isHex` wants whole bytes, `uint256Bytes` never throws, and both hex conversions use Node's
 * native codec, since envelopes and secrets are converted on the worker's main thread.
 */
import { equalBytes } from '@noble/curves/utils.js'
import type { Hex } from 'viem'

/** Concatenates byte arrays into a new one. */
export { concatBytes } from '@noble/hashes/utils.js'
/** `0x`-prefixed hex, as every teefn JSON form writes bytes (viem's type). */
export type { Hex }

const hexPattern = /^0x(?:[0-9a-fA-F]{2})*$/

/** Whether `value` is `0x` followed by an even number of hex digits. */
export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && hexPattern.test(value)
}

/** Whether `value` is `0x`-hex of exactly `length` bytes. */
export function isHexBytes(value: unknown, length: number): value is Hex {
  return isHex(value) && value.length === 2 + 2 * length
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
}

/**
 * Decodes `0x`-prefixed hex; returns undefined for anything else (callers raise their own typed error,
 * naming the field, so the value itself never has to appear in a message).
 */
export function hexToBytes(value: string): Uint8Array | undefined {
  if (!hexPattern.test(value)) return undefined
  return new Uint8Array(Buffer.from(value.slice(2), 'hex'))
}

/** Constant-time for equal lengths: secrets and MACs are compared with it. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b)
}

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** `bytes` (at most 32) left-padded with zeros to 32 bytes, as ABI encodes an address. */
export function leftPad32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  out.set(bytes, 32 - bytes.length)
  return out
}

/** A non-negative integer as 32 bytes big-endian (ABI `uint256`); callers check the range. */
export function uint256Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let rest = value
  for (let i = 31; i >= 0 && rest > 0n; i--) {
    out[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return out
}
