import { describe, expect, it } from 'vitest'
import { resultToBytes } from './resultToBytes.js'

describe('resultToBytes', () => {
  it('keeps a Uint8Array', () => {
    const bytes = new Uint8Array([1, 2, 255])
    expect(resultToBytes(bytes)).toBe(bytes)
  })

  it('decodes 0x-hex strings, including the empty one', () => {
    expect([...resultToBytes('0x00ff10')]).toEqual([0, 255, 16])
    expect(resultToBytes('0x').length).toBe(0)
  })

  it('takes any other string as UTF-8, odd-length and non-hex "0x" strings included', () => {
    expect([...resultToBytes('héllo')]).toEqual([104, 195, 169, 108, 108, 111])
    expect([...resultToBytes('0x123')]).toEqual([48, 120, 49, 50, 51])
    expect([...resultToBytes('0xzz')]).toEqual([48, 120, 122, 122])
  })
})
