/** `0x`-prefixed hex, as every teefn JSON form writes bytes. */
export type Hex = `0x${string}`

const hexPattern = /^0x(?:[0-9a-fA-F]{2})*$/

/** Whether `value` is `0x` followed by an even number of hex digits. */
export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && hexPattern.test(value)
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

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Constant-time for equal lengths: secrets and MACs are compared with it. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
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
