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
 *
 * `envelope` is the substrate envelope's wire form (`encodeSubstrateEnvelope`: SCALE fields || sr25519
 * signature). `request_block` / `request_extrinsic` say where the request was seen, so a reader can find it;
 * the envelope's signed `requestId` is what binds the result to the request (`deriveRequestId`).
 */
export const remarkMagic: Uint8Array = new TextEncoder().encode('teefn')
export const remarkProtocolVersion = 1
export const remarkKinds = { request: 0x01, result: 0x02 } as const
/** Largest request payload a remark may carry; a larger one is malformed (the function gets its payload as hex). */
export const maxRequestPayloadBytes = 64 * 1024
/** Bytes before the body: magic, version, kind. */
const headerLength = remarkMagic.length + 2

export type RequestRemark = { kind: 'request'; functionId: Hex; payload: Uint8Array }
export type ResultRemark = {
  kind: 'result'
  /** Where the request was seen: its block hash and the extrinsic's index in that block. */
  request: { blockHash: Hex; extrinsicIndex: number }
  envelope: Envelope
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
  const block = hexToBytes(request.blockHash)
  if (block?.length !== 32) throw invalidInput('request.blockHash must be 32 bytes of 0x-hex')
  if (
    !Number.isInteger(request.extrinsicIndex) ||
    request.extrinsicIndex < 0 ||
    request.extrinsicIndex > 0xffffffff
  ) {
    throw invalidInput('request.extrinsicIndex must be a u32')
  }
  const wire = encodeSubstrateEnvelope(envelope)
  const index = new Uint8Array(4)
  new DataView(index.buffer).setUint32(0, request.extrinsicIndex, true)
  return concatBytes(header(remarkKinds.result), block, index, compactToU8a(wire.length), wire)
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

/** A SCALE `Vec<u8>` at `offset`: compact length, then the bytes. */
function readVec(
  bytes: Uint8Array,
  offset: number,
  max: number,
  field: string,
): { bytes: Uint8Array; end: number } | { reason: string } {
  if (offset >= bytes.length) return { reason: `truncated ${field} length` }
  let prefix: number
  let length: number
  try {
    const [read, value] = compactFromU8a(bytes.subarray(offset))
    // A compact prefix that runs past the end decodes as garbage; refuse it.
    if (offset + read > bytes.length) return { reason: `truncated ${field} length` }
    prefix = read
    length = value.toNumber()
  } catch {
    return { reason: `unreadable ${field} length` }
  }
  if (length > max) return { reason: `${field} is ${length} bytes, more than ${max}` }
  const start = offset + prefix
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
