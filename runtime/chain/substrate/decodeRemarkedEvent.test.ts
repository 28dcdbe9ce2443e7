import { blake2AsU8a } from '@polkadot/util-crypto'
import { describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../../bytes.js'
import { decodeRemarkedEvent, type RemarkCall } from './decodeRemarkedEvent.js'
import { deriveRequestId } from './deriveRequestId.js'
import { encodeRequestRemark } from './remarkProtocol.js'

const genesisHash = `0x${'45'.repeat(32)}` as Hex
const extrinsicHash = `0x${'a1'.repeat(32)}` as Hex
const alice = `0x${'d4'.repeat(32)}` as Hex
const functionId = `0x${'11'.repeat(32)}` as Hex
const remark = (bytes: Uint8Array): RemarkCall => ({ bytes, hash: blake2AsU8a(bytes, 256) })
const request = (text: string) => remark(encodeRequestRemark({ functionId, payload: utf8(text) }))
const decode = (remarks: RemarkCall[], hash: Uint8Array, ordinal = 0, sender = alice) =>
  decodeRemarkedEvent({ genesisHash, extrinsicHash, remarks, event: { sender, hash, ordinal } })

describe('decodeRemarkedEvent', () => {
  it('reads a request remark with its v2 id, origin and keccak256 payload hash', () => {
    const call = remark(encodeRequestRemark({ functionId, payload: new Uint8Array(0) }))
    const decoded = decode([call], call.hash)
    // keccak256 of no bytes: the well-known constant.
    const payloadHash = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
    expect(decoded).toEqual({
      kind: 'request',
      requestId: deriveRequestId({
        genesisHash,
        extrinsicHash,
        ordinal: 0,
        origin: alice,
        functionId,
        payloadHash,
      }),
      ordinal: 0,
      origin: alice,
      functionId,
      payload: new Uint8Array(0),
      payloadHash,
    })
  })

  it('gives each remark its position among the calls, identical remarks included', () => {
    const a = request('a')
    const foreign = remark(utf8('hello chain'))
    const calls = [a, foreign, a, request('b')]
    const positions = [a, foreign, a, calls[3]!].map((call, ordinal) => {
      const decoded = decode(calls, call.hash, ordinal)
      return decoded.kind === 'request' ? decoded.ordinal : decoded.kind
    })
    expect(positions).toEqual([0, 'foreign', 2, 3])
    const first = decode(calls, a.hash, 0)
    const second = decode(calls, a.hash, 1)
    expect(
      first.kind === 'request' && second.kind === 'request' && first.requestId !== second.requestId,
    ).toBe(true)
  })

  it('binds the origin: another sender of the same remark is another request', () => {
    const call = request('ping')
    const mine = decode([call], call.hash)
    const theirs = decode([call], call.hash, 0, `0x${'8e'.repeat(32)}`)
    expect(mine.kind).toBe('request')
    expect(theirs).toMatchObject({ kind: 'request', origin: `0x${'8e'.repeat(32)}` })
    expect((mine as { requestId: Hex }).requestId).not.toBe((theirs as { requestId: Hex }).requestId)
  })

  it('says when no call has the hash, when the remark is malformed, and refuses a sender that is not 32 bytes', () => {
    const call = request('ping')
    expect(decode([call], blake2AsU8a(utf8('other'), 256))).toMatchObject({ kind: 'unlocated' })
    const broken = remark(Uint8Array.of(...utf8('teefn'), 1, 1, 0xaa))
    expect(decode([broken], broken.hash)).toEqual({ kind: 'malformed', reason: 'truncated functionId' })
    expect(decode([call], call.hash, 0, bytesToHex(new Uint8Array(20).fill(1)))).toEqual({
      kind: 'malformed',
      reason: 'the remark sender is not an AccountId32',
    })
  })
})
