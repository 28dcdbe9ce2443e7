import { keccak256, toUtf8Bytes } from 'ethers'
import { describe, expect, it } from 'vitest'
import { computeCodeHash } from './computeCodeHash.js'

describe('computeCodeHash', () => {
  it('is keccak256 of the UTF-8 bytes, as Solidity and ethers compute it', () => {
    const bundle = 'export default () => "héllo"\n'
    expect(computeCodeHash(bundle)).toBe(keccak256(toUtf8Bytes(bundle)))
    expect(computeCodeHash(new TextEncoder().encode(bundle))).toBe(computeCodeHash(bundle))
  })

  it('changes with a single byte', () => {
    expect(computeCodeHash('export default () => "a"')).not.toBe(computeCodeHash('export default () => "b"'))
  })
})
