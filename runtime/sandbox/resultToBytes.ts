import { hexToBytes } from '@noble/hashes/utils'

const hexString = /^0x(?:[0-9a-fA-F]{2})*$/

/**
 * The bytes delivered on-chain for a function's result: a Uint8Array as is, a 0x-hex string decoded,
 * any other string as its UTF-8 bytes.
 */
export function resultToBytes(result: string | Uint8Array): Uint8Array {
  if (typeof result !== 'string') return result
  if (hexString.test(result)) return hexToBytes(result.slice(2))
  return new TextEncoder().encode(result)
}
