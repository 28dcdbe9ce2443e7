import { numberToHex, stringToHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../bytes.js'
import { encodeInt256, encodeString, encodeUint256 } from './encodeChainlinkValues.js'

describe('encodeChainlinkValues', () => {
  it('encodes uint256 and int256 as ABI words, from a bigint or a safe integer', () => {
    expect(bytesToHex(encodeUint256(3000n))).toBe(numberToHex(3000n, { size: 32 }))
    expect(bytesToHex(encodeUint256(2n ** 256n - 1n))).toBe(`0x${'f'.repeat(64)}`)
    expect(bytesToHex(encodeInt256(-1))).toBe(numberToHex(-1n, { size: 32, signed: true }))
    expect(bytesToHex(encodeInt256(-(2n ** 255n)))).toBe(
      numberToHex(-(2n ** 255n), { size: 32, signed: true }),
    )
  })

  it('throws on values out of range and numbers that are not safe integers', () => {
    expect(() => encodeUint256(-1n)).toThrow('from 0 to 2^256 - 1')
    expect(() => encodeUint256(2n ** 256n)).toThrow('from 0 to 2^256 - 1')
    expect(() => encodeInt256(2n ** 255n)).toThrow('from -2^255 to 2^255 - 1')
    expect(() => encodeUint256(1.5)).toThrow('bigint or a safe integer')
  })

  it('encodes a string as its UTF-8 bytes, not as an ABI string', () => {
    expect(bytesToHex(encodeString('héllo'))).toBe(stringToHex('héllo'))
  })
})
