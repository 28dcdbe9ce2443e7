import { blake2b } from '@noble/hashes/blake2.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../bytes.js'
import { bytesOrHex } from './bytesOrHex.js'
import { pinkHash } from './pinkHash.js'

describe('pinkHash', () => {
  it('hashes with the four algorithms of Phat, ink-style BLAKE2b output lengths', () => {
    const hello = new TextEncoder().encode('hello')
    expect(bytesToHex(pinkHash('sha256', 'hello'))).toBe(
      '0x2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    )
    expect(bytesToHex(pinkHash('keccak256', hello))).toBe(
      '0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8',
    )
    expect(pinkHash('blake2b256', 'hello')).toHaveLength(32)
    // BLAKE2b-128 is its own hash, not the first half of BLAKE2b-256.
    expect(pinkHash('blake2b128', 'hello')).toEqual(blake2b(hello, { dkLen: 16 }))
    expect(pinkHash('blake2b128', 'hello')).not.toEqual(pinkHash('blake2b256', 'hello').slice(0, 16))
  })

  it("refuses another algorithm with Phat's message", () => {
    expect(() => pinkHash('md5', 'hello')).toThrow('Unsupported hash algorithm: md5')
  })
})

describe('bytesOrHex', () => {
  it('takes bytes as they are, 0x-hex as the bytes it spells, other text as UTF-8', () => {
    expect(bytesOrHex(new Uint8Array([1, 2]), 'x')).toEqual(new Uint8Array([1, 2]))
    expect(bytesOrHex('0x0aff', 'x')).toEqual(new Uint8Array([0x0a, 0xff]))
    expect(bytesOrHex('0xabc', 'x')).toEqual(new TextEncoder().encode('0xabc'))
    expect(bytesOrHex('hé', 'x')).toEqual(new TextEncoder().encode('hé'))
    expect(() => bytesOrHex(42, 'pink.hash: message')).toThrow(
      'pink.hash: message must be a Uint8Array or a string',
    )
  })
})
