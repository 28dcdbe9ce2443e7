import { describe, expect, it } from 'vitest'
import type { Hex } from '../../enclave/bytes.js'
import { deriveRequestId } from './deriveRequestId.js'

const genesisHash = `0x${'45'.repeat(32)}` as Hex
const extrinsicHash = `0x${'a1'.repeat(32)}` as Hex

describe('deriveRequestId', () => {
  it('is blake2_256 of the tag, genesis, extrinsic hash and ordinal (vector checked with Python hashlib.blake2b)', () => {
    expect(deriveRequestId({ genesisHash, extrinsicHash, ordinal: 0 })).toBe(
      '0xb4b5824fcd2cd34cede8ffcbc08984949230187c546c7adaefe69c0103e51357',
    )
  })

  it('changes with each input', () => {
    const base = deriveRequestId({ genesisHash, extrinsicHash, ordinal: 0 })
    const others = [
      deriveRequestId({ genesisHash: `0x${'46'.repeat(32)}`, extrinsicHash, ordinal: 0 }),
      deriveRequestId({ genesisHash, extrinsicHash: `0x${'a2'.repeat(32)}`, ordinal: 0 }),
      deriveRequestId({ genesisHash, extrinsicHash, ordinal: 1 }),
    ]
    expect(new Set([base, ...others]).size).toBe(4)
    expect(deriveRequestId({ genesisHash, extrinsicHash, ordinal: 0 })).toBe(base)
  })

  it('refuses inputs of the wrong size', () => {
    expect(() => deriveRequestId({ genesisHash: '0x45', extrinsicHash, ordinal: 0 })).toThrow(/genesisHash/)
    expect(() => deriveRequestId({ genesisHash, extrinsicHash: '0x', ordinal: 0 })).toThrow(/extrinsicHash/)
    expect(() => deriveRequestId({ genesisHash, extrinsicHash, ordinal: 2 ** 32 })).toThrow(/u32/)
  })
})
