import { compactFromU8a, compactToU8a } from '@polkadot/util'
import { bytesToHex, concatBytes, type Hex, hexToBytes } from '../../bytes.js'
import type { Envelope } from '../../enclave/envelope.js'
import { decodeSubstrateEnvelope, encodeSubstrateEnvelope } from '../../enclave/substrateEnvelope.js'
import { SubstrateRemarkError } from './SubstrateRemarkError.js'

/**
 * The teefn remark protocol: requests and results as `system.remarkWithEvent` bytes, so any FRAME chain
 * can use teefn without a pallet.
 *
 *   remark  = magic "teefn" (5 bytes) || version u8 (1) || kind u8 || body
 *   request = kind 0x01, body SCALE { function_id: [u8; 32], payload: Vec<u8> }
 *   result  = kind 0x02, body SCALE { request_block: [u8; 32], request_extrinsic: u32, envelope: Vec<u8> }
 *   quorum result = kind 0x03, body SCALE { request_block: [u8; 32], request_extrinsic: u32,
 *                                          envelopes: Vec<Vec<u8>> }   1..=32 envelopes, one requestId
 *
 * `envelope` is the substrate envelope's wire form (`encodeSubstrateEnvelope`: SCALE fields || sr25519
 * signature). `request_block` / `request_extrinsic` say where the request was seen, so a reader can find it;
 * the envelope's signed `requestId` is what binds the result to the request (`deriveRequestId`).
 */
export const remarkMagic: Uint8Array = new TextEncoder().encode('teefn')
export const remarkProtocolVersion = 1
export const remarkKinds = { request: 0x01, result: 0x02, quorumResult: 0x03 } as const
/** Most envelopes one quorum result carries (as `fulfillQuorum` on EVM). */
export const maxQuorumEnvelopes = 32
/** Largest request payload a remark may carry; a larger one is malformed (the function gets its payload as hex). */
export const maxRequestPayloadBytes = 64 * 1024
/** Bytes before the body: magic, version, kind. */
const headerLength = remarkMagic.length + 2

export type RequestRemark = { kind: 'request'; functionId: Hex; payload: Uint8Array }
export type ResultRemark = {
  kind: 'result'
  /** Where the request was seen: its block hash and the extrinsic's index in that block. */
  request: { blockHash: Hex; extrinsicIndex: number }
  /** The result's envelope; for a quorum result, the first of `envelopes` (the submitter puts agreeing ones first). */
  envelope: Envelope
  /** Quorum results (kind 0x03) only: every envelope, in remark order, all for one requestId. */
  envelopes?: Envelope[] | undefined
}
/** What a remark is: not ours (`foreign`), ours but unreadable (`malformed`, with the reason), or ours. */
export type DecodedRemark =
  | RequestRemark
  | ResultRemark
  | { kind: 'foreign' }
  | { kind: 'malformed'; reason: string }

/** Request remark bytes: what a requester puts in `system.remarkWithEvent`. */
export function encodeRequestRemark({
  functionId,
  payload,
}: {
  functionId: Hex
  payload: Uint8Array | Hex
}): Uint8Array {
  const id = hexToBytes(functionId)
  if (id?.length !== 32) throw invalidInput('functionId must be 32 bytes of 0x-hex')
  const body = typeof payload === 'string' ? hexToBytes(payload) : payload
  if (!body) throw invalidInput('payload must be bytes or 0x-hex')
  if (body.length > maxRequestPayloadBytes) {
    throw invalidInput(`payload is ${body.length} bytes, more than ${maxRequestPayloadBytes}`)
  }
  return concatBytes(header(remarkKinds.request), id, compactToU8a(body.length), body)
}

/** Result remark bytes: what the submitter puts in `system.remarkWithEvent`. */
export function encodeResultRemark({
  request,
  envelope,
}: {
  request: { blockHash: Hex; extrinsicIndex: number }
  envelope: Envelope
}): Uint8Array {
  const wire = encodeSubstrateEnvelope(envelope)
  return concatBytes(header(remarkKinds.result), requestReference(request), compactToU8a(wire.length), wire)
}

/**
 * Quorum result remark bytes: several workers' envelopes for one request in one remark (1 to
 * `maxQuorumEnvelopes`, all with the same requestId). The submitter puts the agreeing envelopes first.
 */
export function encodeQuorumResultRemark({
  request,
  envelopes,
}: {
  request: { blockHash: Hex; extrinsicIndex: number }
  envelopes: readonly Envelope[]
}): Uint8Array {
  if (envelopes.length === 0 || envelopes.length > maxQuorumEnvelopes) {
    throw invalidInput(
      `a quorum result carries 1 to ${maxQuorumEnvelopes} envelopes, got ${envelopes.length}`,
    )
  }
  const requestId = envelopes[0]!.requestId.toLowerCase()
  if (envelopes.some((envelope) => envelope.requestId.toLowerCase() !== requestId)) {
    throw invalidInput('the envelopes of a quorum result must answer one requestId')
  }
  const wires = envelopes.flatMap((envelope) => {
    const wire = encodeSubstrateEnvelope(envelope)
    return [compactToU8a(wire.length), wire]
  })
  return concatBytes(
    header(remarkKinds.quorumResult),
    requestReference(request),
    compactToU8a(envelopes.length),
    ...wires,
  )
}

/** `request_block: [u8; 32] || request_extrinsic: u32 LE`. */
function requestReference(request: { blockHash: Hex; extrinsicIndex: number }): Uint8Array {
  const block = hexToBytes(request.blockHash)
  if (block?.length !== 32) throw invalidInput('request.blockHash must be 32 bytes of 0x-hex')
  if (
    !Number.isInteger(request.extrinsicIndex) ||
    request.extrinsicIndex < 0 ||
    request.extrinsicIndex > 0xffffffff
  ) {
    throw invalidInput('request.extrinsicIndex must be a u32')
  }
  const index = new Uint8Array(4)
  new DataView(index.buffer).setUint32(0, request.extrinsicIndex, true)
  return concatBytes(block, index)
}

/** Whether remark bytes start with the teefn magic (then they are ours, readable or not). */
export function isTeefnRemark(bytes: Uint8Array): boolean {
  if (bytes.length < remarkMagic.length) return false
  for (let i = 0; i < remarkMagic.length; i++) if (bytes[i] !== remarkMagic[i]) return false
  return true
}

/** Reads remark bytes. Never throws: anything that is not a well-formed teefn remark says why. */
export function decodeRemark(bytes: Uint8Array): DecodedRemark {
  if (!isTeefnRemark(bytes)) return { kind: 'foreign' }
  if (bytes.length < headerLength) return malformed('truncated header')
  const version = bytes[remarkMagic.length]!
  if (version !== remarkProtocolVersion) return malformed(`unsupported version ${version}`)
  const kind = bytes[remarkMagic.length + 1]!
  const body = bytes.subarray(headerLength)
  if (kind === remarkKinds.request) return decodeRequestBody(body)
  if (kind === remarkKinds.result) return decodeResultBody(body)
  if (kind === remarkKinds.quorumResult) return decodeQuorumResultBody(body)
  return malformed(`unknown kind ${kind}`)
}

function decodeRequestBody(body: Uint8Array): DecodedRemark {
  if (body.length < 32) return malformed('truncated functionId')
  const functionId = bytesToHex(body.subarray(0, 32))
  const vec = readVec(body, 32, maxRequestPayloadBytes, 'payload')
  if ('reason' in vec) return malformed(vec.reason)
  if (vec.end !== body.length) return malformed(`${body.length - vec.end} bytes after the payload`)
  return { kind: 'request', functionId, payload: vec.bytes.slice() }
}

function decodeResultBody(body: Uint8Array): DecodedRemark {
  if (body.length < 36) return malformed('truncated request reference')
  const blockHash = bytesToHex(body.subarray(0, 32))
  const extrinsicIndex = new DataView(body.buffer, body.byteOffset + 32, 4).getUint32(0, true)
  const vec = readVec(body, 36, body.length, 'envelope')
  if ('reason' in vec) return malformed(vec.reason)
  if (vec.end !== body.length) return malformed(`${body.length - vec.end} bytes after the envelope`)
  try {
    return {
      kind: 'result',
      request: { blockHash, extrinsicIndex },
      envelope: decodeSubstrateEnvelope(vec.bytes),
    }
  } catch (error) {
    return malformed(`envelope: ${(error as { details?: string }).details ?? (error as Error).message}`)
  }
}

function decodeQuorumResultBody(body: Uint8Array): DecodedRemark {
  if (body.length < 36) return malformed('truncated request reference')
  const blockHash = bytesToHex(body.subarray(0, 32))
  const extrinsicIndex = new DataView(body.buffer, body.byteOffset + 32, 4).getUint32(0, true)
  const count = readCompact(body, 36, 'envelope count')
  if ('reason' in count) return malformed(count.reason)
  if (count.value === 0 || count.value > maxQuorumEnvelopes) {
    return malformed(`${count.value} envelopes; a quorum result carries 1 to ${maxQuorumEnvelopes}`)
  }
  const envelopes: Envelope[] = []
  let offset = count.end
  for (let index = 0; index < count.value; index++) {
    const vec = readVec(body, offset, body.length, `envelope ${index}`)
    if ('reason' in vec) return malformed(vec.reason)
    try {
      envelopes.push(decodeSubstrateEnvelope(vec.bytes))
    } catch (error) {
      return malformed(
        `envelope ${index}: ${(error as { details?: string }).details ?? (error as Error).message}`,
      )
    }
    offset = vec.end
  }
  if (offset !== body.length) return malformed(`${body.length - offset} bytes after the envelopes`)
  const requestId = envelopes[0]!.requestId.toLowerCase()
  if (envelopes.some((envelope) => envelope.requestId.toLowerCase() !== requestId)) {
    return malformed('the envelopes answer different requests')
  }
  return { kind: 'result', request: { blockHash, extrinsicIndex }, envelope: envelopes[0]!, envelopes }
}

/** A SCALE compact integer at `offset`. */
function readCompact(
  bytes: Uint8Array,
  offset: number,
  field: string,
): { value: number; end: number } | { reason: string } {
  if (offset >= bytes.length) return { reason: `truncated ${field}` }
  try {
    const [read, value] = compactFromU8a(bytes.subarray(offset))
    // A compact prefix that runs past the end decodes as garbage; refuse it.
    if (offset + read > bytes.length) return { reason: `truncated ${field}` }
    if (value.bitLength() > 32) return { reason: `${field} is out of range` }
    return { value: value.toNumber(), end: offset + read }
  } catch {
    return { reason: `unreadable ${field}` }
  }
}

/** A SCALE `Vec<u8>` at `offset`: compact length, then the bytes. */
function readVec(
  bytes: Uint8Array,
  offset: number,
  max: number,
  field: string,
): { bytes: Uint8Array; end: number } | { reason: string } {
  const prefix = readCompact(bytes, offset, `${field} length`)
  if ('reason' in prefix) return prefix
  const length = prefix.value
  if (length > max) return { reason: `${field} is ${length} bytes, more than ${max}` }
  const start = prefix.end
  if (start + length > bytes.length) return { reason: `truncated ${field}` }
  return { bytes: bytes.subarray(start, start + length), end: start + length }
}

function header(kind: number): Uint8Array {
  return concatBytes(remarkMagic, Uint8Array.of(remarkProtocolVersion, kind))
}

function malformed(reason: string): { kind: 'malformed'; reason: string } {
  return { kind: 'malformed', reason }
}

function invalidInput(details: string): SubstrateRemarkError {
  return new SubstrateRemarkError('Cannot encode a teefn remark.', { code: 'INVALID_REMARK_INPUT', details })
}
