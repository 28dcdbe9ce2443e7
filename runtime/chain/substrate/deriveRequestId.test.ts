import { describe, expect, it } from 'vitest'
import type { Hex } from '../../bytes.js'
import { type DeriveRequestIdParameters, deriveRequestId } from './deriveRequestId.js'

const base: DeriveRequestIdParameters = {
  genesisHash: `0x${'45'.repeat(32)}`,
  extrinsicHash: `0x${'a1'.repeat(32)}`,
  ordinal: 0,
  origin: `0x${'d4'.repeat(32)}`,
  functionId: `0x${'11'.repeat(32)}`,
  payloadHash: `0x${'9a'.repeat(32)}`,
}
const other = (byte: string) => `0x${byte.repeat(32)}` as Hex

describe('deriveRequestId (v2)', () => {
  it('is blake2_256 of the tag, genesis, extrinsic hash, ordinal, origin, functionId and payload hash (vectors checked with Python hashlib.blake2b)', () => {
    expect(deriveRequestId(base)).toBe('0x8625aba2ba06976bdd7210c214b3751442912ae1acfb6041b5643fe4c2a58923')
    expect(deriveRequestId({ ...base, ordinal: 3 })).toBe(
      '0x67d73b185cf41bb7b31b58ebb686933db2d8bdddcf1755ee876062a78c7abfc4',
    )
  })

  it('changes with any input: another origin, function or payload is another request', () => {
    const id = deriveRequestId(base)
    const changed = [
      { genesisHash: other('46') },
      { extrinsicHash: other('a2') },
      { ordinal: 1 },
      { origin: other('d5') },
      { functionId: other('12') },
      { payloadHash: other('9b') },
    ].map((change) => deriveRequestId({ ...base, ...change }))
    expect(new Set([id, ...changed]).size).toBe(7)
    // Deterministic, and case of the hex does not matter.
    expect(deriveRequestId({ ...base, origin: base.origin.toUpperCase().replace('0X', '0x') as Hex })).toBe(
      id,
    )
  })

  it('refuses inputs of the wrong size, naming the field', () => {
    for (const field of ['genesisHash', 'extrinsicHash', 'origin', 'functionId', 'payloadHash'] as const) {
      expect(() => deriveRequestId({ ...base, [field]: `0x${'45'.repeat(31)}` })).toThrow(
        expect.objectContaining({
          code: 'INVALID_REMARK_INPUT',
          details: `${field} must be 32 bytes of 0x-hex`,
        }),
      )
    }
    expect(() => deriveRequestId({ ...base, origin: `0x${'d4'.repeat(20)}` })).toThrow(/origin/)
    expect(() => deriveRequestId({ ...base, ordinal: 2 ** 32 })).toThrow(/u32/)
    expect(() => deriveRequestId({ ...base, ordinal: -1 })).toThrow(/u32/)
  })
})
