/**
 * `Functions.encodeUint256`, `encodeInt256` and `encodeString` as Chainlink Functions defines them: 32-byte
 * big-endian words (two's complement for int256) and UTF-8 bytes. Bundled into a `--compat chainlink`
 * function, so it runs in the sandbox and throws plain `Error`s the function sees.
 */
const two256 = 1n << 256n

function toBigInt(value: bigint | number, name: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  throw new Error(
    `${name} expects a bigint or a safe integer, got ${typeof value === 'number' ? value : typeof value}`,
  )
}

function word(value: bigint): Uint8Array {
  const bytes = new Uint8Array(32)
  let rest = value
  for (let index = 31; index >= 0; index--) {
    bytes[index] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

/** A uint256 as 32 big-endian bytes; negative or over 2^256 - 1 throws. */
export function encodeUint256(value: bigint | number): Uint8Array {
  const number = toBigInt(value, 'encodeUint256')
  if (number < 0n || number >= two256) throw new Error('encodeUint256 expects a value from 0 to 2^256 - 1')
  return word(number)
}

/** An int256 as 32 big-endian bytes in two's complement; outside -2^255 to 2^255 - 1 throws. */
export function encodeInt256(value: bigint | number): Uint8Array {
  const number = toBigInt(value, 'encodeInt256')
  if (number < -(two256 >> 1n) || number >= two256 >> 1n)
    throw new Error('encodeInt256 expects a value from -2^255 to 2^255 - 1')
  return word(number < 0n ? number + two256 : number)
}

/** A string as its UTF-8 bytes (Chainlink's encodeString is not the ABI's string encoding). */
export function encodeString(value: string): Uint8Array {
  if (typeof value !== 'string') throw new Error(`encodeString expects a string, got ${typeof value}`)
  return new TextEncoder().encode(value)
}
