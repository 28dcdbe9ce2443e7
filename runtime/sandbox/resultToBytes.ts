import { hexToBytes, utf8 } from '../bytes.js'

/**
 * The bytes delivered on-chain for a function's result: a Uint8Array as is, a 0x-hex string decoded,
 * any other string as its UTF-8 bytes.
 */
export function resultToBytes(result: string | Uint8Array): Uint8Array {
  if (typeof result !== 'string') return result
  return hexToBytes(result) ?? utf8(result)
}
