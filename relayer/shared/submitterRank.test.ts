import { keccak_256 } from '@noble/hashes/sha3.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../runtime/bytes.js'
import { submitterOrder, submitterRank } from './submitterRank.js'

const requestId = `0x${'12'.repeat(32)}`
const signers = [`0x${'a1'.repeat(20)}`, `0x${'b2'.repeat(20)}`, `0x${'C3'.repeat(20)}`]

describe('submitterRank', () => {
  it('orders the signers by keccak256(requestId ++ address), each node its own rank', () => {
    const expected = [...signers]
      .map((signer) => ({
        signer,
        key: bytesToHex(keccak_256(new Uint8Array([...hexToBytes(requestId)!, ...hexToBytes(signer)!]))),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map(({ signer }) => signer)
    const ranks = expected.map((signer) => submitterRank(requestId, signer, signers))
    expect(ranks).toEqual([0, 1, 2])
    // Case and duplicates do not change a rank.
    expect(submitterRank(requestId, expected[2]!.toLowerCase(), [...signers, signers[0]!])).toBe(2)
  })

  it('changes from one request to another, and ranks a stranger last', () => {
    const orders = new Set(
      ['01', '02', '03', '04', '05', '06'].map((byte) =>
        signers.map((signer) => submitterRank(`0x${byte.repeat(32)}`, signer, signers)).join(),
      ),
    )
    expect(orders.size).toBeGreaterThan(1)
    expect(submitterRank(requestId, `0x${'dd'.repeat(20)}`, signers)).toBe(3)
  })

  it('is one order whatever order the members are listed in, for addresses and sr25519 keys alike', () => {
    const keys = [`0x${'0a'.repeat(32)}`, `0x${'0b'.repeat(32)}`, `0x${'0c'.repeat(32)}`]
    for (const members of [signers, keys]) {
      const order = submitterOrder(requestId, members)
      expect(submitterOrder(requestId, [...members].reverse())).toEqual(order)
      expect(new Set(order)).toEqual(new Set(members))
      expect(order.map((member) => submitterRank(requestId, member, members))).toEqual([0, 1, 2])
    }
  })
})
