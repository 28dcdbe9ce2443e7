import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, hexToBytes } from '../../bytes.js'
import { createDevProvider } from '../../enclave/devProvider.js'
import type { Envelope } from '../../enclave/envelope.js'
import { signEnvelope } from '../../enclave/signEnvelope.js'
import type { TeeProvider } from '../../enclave/TeeProvider.js'
import { verifyEnvelope } from '../../enclave/verifyEnvelope.js'
import {
  decodeRemark,
  encodeQuorumResultRemark,
  encodeRequestRemark,
  encodeResultRemark,
  isTeefnRemark,
  maxQuorumEnvelopes,
  maxRequestPayloadBytes,
} from './remarkProtocol.js'

const functionId = `0x${'11'.repeat(32)}` as Hex
const blockHash = `0x${'b0'.repeat(32)}` as Hex
let dir: string
let provider: TeeProvider
let envelope: Envelope
/** The same request answered by a second worker. */
let second: Envelope

const answer = (worker: TeeProvider) =>
  signEnvelope(worker, {
    family: 'substrate',
    chainId: `0x${'45'.repeat(32)}`,
    destination: `0x${'d4'.repeat(32)}`,
    requestId: `0x${'0e'.repeat(32)}`,
    functionId,
    payloadHash: `0x${'9a'.repeat(32)}`,
    codeHash: `0x${'0c'.repeat(32)}`,
    status: 'OK',
    result: new TextEncoder().encode('67012.45'),
  })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-remark-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  envelope = await answer(provider)
  second = await answer(await createDevProvider({ keyFile: join(dir, 'worker-2.json') }))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('request remarks', () => {
  it('have the documented bytes: "teefn", version 1, kind 1, functionId, SCALE Vec<u8> payload', () => {
    const bytes = encodeRequestRemark({ functionId, payload: '0xabcd' })
    expect(bytesToHex(bytes)).toBe(`0x746565666e0101${'11'.repeat(32)}08abcd`)
  })

  it('decode to what was encoded, for empty, small and maximal payloads', () => {
    for (const payload of [
      new Uint8Array(0),
      Uint8Array.of(1, 2, 3),
      new Uint8Array(maxRequestPayloadBytes).fill(7),
    ]) {
      const decoded = decodeRemark(encodeRequestRemark({ functionId, payload }))
      expect(decoded).toEqual({ kind: 'request', functionId, payload })
    }
  })

  it('refuses to encode a wrong functionId or a payload over the limit', () => {
    expect(() => encodeRequestRemark({ functionId: '0x1234', payload: '0x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_REMARK_INPUT' }),
    )
    expect(() =>
      encodeRequestRemark({ functionId, payload: new Uint8Array(maxRequestPayloadBytes + 1) }),
    ).toThrow(/more than 65536/)
  })
})

describe('result remarks', () => {
  it('carry the request reference and the envelope wire bytes, and decode to a verifiable envelope', async () => {
    const bytes = encodeResultRemark({ request: { blockHash, extrinsicIndex: 258 }, envelope })
    expect(bytesToHex(bytes.subarray(0, 7))).toBe('0x746565666e0102')
    expect(bytesToHex(bytes.subarray(7, 39))).toBe(blockHash)
    expect(bytesToHex(bytes.subarray(39, 43))).toBe('0x02010000')
    const decoded = decodeRemark(bytes)
    expect(decoded).toEqual({ kind: 'result', request: { blockHash, extrinsicIndex: 258 }, envelope })
    if (decoded.kind !== 'result') throw new Error('unreachable')
    const verified = await verifyEnvelope(decoded.envelope, { worker: provider.publicKeys.sr25519 })
    expect(new TextDecoder().decode(verified.result)).toBe('67012.45')
  })

  it('refuse a bad reference before encoding', () => {
    expect(() => encodeResultRemark({ request: { blockHash: '0x00', extrinsicIndex: 0 }, envelope })).toThrow(
      /blockHash/,
    )
    expect(() => encodeResultRemark({ request: { blockHash, extrinsicIndex: -1 }, envelope })).toThrow(/u32/)
  })
})

describe('quorum result remarks', () => {
  it('have the documented bytes: kind 3, reference, compact count, then each envelope as a Vec<u8>', () => {
    const bytes = encodeQuorumResultRemark({
      request: { blockHash, extrinsicIndex: 7 },
      envelopes: [envelope, second],
    })
    expect(bytesToHex(bytes.subarray(0, 7))).toBe('0x746565666e0103')
    expect(bytesToHex(bytes.subarray(7, 39))).toBe(blockHash)
    expect(bytesToHex(bytes.subarray(39, 43))).toBe('0x07000000')
    expect(bytes[43]).toBe(2 << 2) // compact 2
    const single = encodeResultRemark({ request: { blockHash, extrinsicIndex: 7 }, envelope })
    // The first item is exactly what a single result remark carries after its reference.
    expect(bytesToHex(bytes.subarray(44, 44 + single.length - 43))).toBe(bytesToHex(single.subarray(43)))
  })

  it('decode to every envelope, the first as `envelope`, each verifiable', async () => {
    const decoded = decodeRemark(
      encodeQuorumResultRemark({ request: { blockHash, extrinsicIndex: 7 }, envelopes: [second, envelope] }),
    )
    expect(decoded).toEqual({
      kind: 'result',
      request: { blockHash, extrinsicIndex: 7 },
      envelope: second,
      envelopes: [second, envelope],
    })
    if (decoded.kind !== 'result') throw new Error('unreachable')
    for (const item of decoded.envelopes!) await verifyEnvelope(item)
  })

  it('refuse to encode none, more than 32, or envelopes of different requests', () => {
    const request = { blockHash, extrinsicIndex: 0 }
    expect(() => encodeQuorumResultRemark({ request, envelopes: [] })).toThrow(/1 to 32/)
    expect(() =>
      encodeQuorumResultRemark({ request, envelopes: Array(maxQuorumEnvelopes + 1).fill(envelope) }),
    ).toThrow(/1 to 32/)
    const other = { ...second, requestId: `0x${'77'.repeat(32)}` as Hex }
    expect(() => encodeQuorumResultRemark({ request, envelopes: [envelope, other] })).toThrow(/one requestId/)
  })

  it('are malformed when truncated, empty, over 32, mixed, or with trailing bytes', () => {
    const whole = encodeQuorumResultRemark({
      request: { blockHash, extrinsicIndex: 1 },
      envelopes: [envelope, second],
    })
    for (let length = 5; length < whole.length; length++) {
      expect(decodeRemark(whole.subarray(0, length)).kind, `length ${length}`).toBe('malformed')
    }
    expect(decodeRemark(Uint8Array.of(...whole, 0))).toEqual({
      kind: 'malformed',
      reason: '1 bytes after the envelopes',
    })
    const withCount = (count: number) =>
      Uint8Array.of(...whole.subarray(0, 43), count << 2, ...whole.subarray(44))
    expect(decodeRemark(withCount(0))).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/0 envelopes/),
    })
    // 33 envelopes announced (compact two-byte mode): over the bound before anything is read.
    const over = Uint8Array.of(
      ...whole.subarray(0, 43),
      ((33 << 2) | 1) & 0xff,
      (33 << 2) >> 8,
      ...whole.subarray(44),
    )
    expect(decodeRemark(over)).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/33 envelopes/),
    })
    // Mixed requests cannot be encoded: splice a foreign envelope's bytes in by hand.
    const other = encodeResultRemark({
      request: { blockHash, extrinsicIndex: 1 },
      envelope: { ...second, requestId: `0x${'77'.repeat(32)}` as Hex },
    })
    const firstItem = encodeResultRemark({ request: { blockHash, extrinsicIndex: 1 }, envelope }).subarray(43)
    const mixed = Uint8Array.of(...whole.subarray(0, 43), 2 << 2, ...firstItem, ...other.subarray(43))
    expect(decodeRemark(mixed)).toEqual({
      kind: 'malformed',
      reason: 'the envelopes answer different requests',
    })
  })
})

describe('decodeRemark on bad input', () => {
  it('calls remarks without the magic foreign', () => {
    for (const text of ['', 'hello', 'teef', 'TEEFN\u0001\u0001']) {
      const bytes = new TextEncoder().encode(text)
      expect(isTeefnRemark(bytes)).toBe(false)
      expect(decodeRemark(bytes)).toEqual({ kind: 'foreign' })
    }
  })

  it('reports every truncation of a request and of a result as malformed, never throwing', () => {
    const request = encodeRequestRemark({ functionId, payload: '0x0102030405' })
    const result = encodeResultRemark({ request: { blockHash, extrinsicIndex: 1 }, envelope })
    for (const whole of [request, result]) {
      for (let length = 5; length < whole.length; length++) {
        const decoded = decodeRemark(whole.subarray(0, length))
        expect(decoded.kind, `length ${length}`).toBe('malformed')
      }
    }
  })

  it('names the reason: version, kind, trailing bytes, oversized length, broken envelope', () => {
    const request = encodeRequestRemark({ functionId, payload: '0x01' })
    const withByte = (index: number, value: number) => {
      const copy = request.slice()
      copy[index] = value
      return copy
    }
    expect(decodeRemark(withByte(5, 2))).toEqual({ kind: 'malformed', reason: 'unsupported version 2' })
    expect(decodeRemark(withByte(6, 9))).toEqual({ kind: 'malformed', reason: 'unknown kind 9' })
    expect(decodeRemark(Uint8Array.of(...request, 0))).toEqual({
      kind: 'malformed',
      reason: '1 bytes after the payload',
    })
    // Compact length 2^30 (four-byte mode): larger than the payload limit.
    const huge = Uint8Array.of(...request.subarray(0, 39), 0x02, 0x00, 0x00, 0x01)
    expect(decodeRemark(huge)).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/more than/),
    })

    const result = encodeResultRemark({ request: { blockHash, extrinsicIndex: 1 }, envelope })
    const badStatus = result.slice()
    const envelopeStart = 7 + 36 + 2
    // chain (32) | destination (1 + 32) | requestId, functionId, payloadHash, codeHash (4 x 32) | status
    badStatus[envelopeStart + 32 + 33 + 128] = 200
    expect(decodeRemark(badStatus)).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/unknown status code 200/),
    })
  })

  it('never throws on random bytes after a teefn header', () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed & 0xff
    }
    const kinds = { request: 0, result: 0, malformed: 0, foreign: 0 }
    for (let i = 0; i < 2000; i++) {
      const body = Uint8Array.from({ length: random() % 400 }, random)
      const header = hexToBytes(`0x746565666e01${i % 2 ? '01' : '02'}`)!
      kinds[decodeRemark(Uint8Array.of(...header, ...body)).kind]++
    }
    expect(kinds.foreign).toBe(0)
    expect(kinds.malformed).toBeGreaterThan(1900)
  })
})
