import { compactFromU8a, compactToU8a } from '@polkadot/util'
import { bytesToHex, concatBytes, utf8 } from '../bytes.js'
import { type ResultStatus, statusCode, statusName } from '../resultStatus.js'
import { EnvelopeError } from './EnvelopeError.js'
import {
  type Envelope,
  envelopeVersion,
  fieldBytes,
  maxSubstrateDestinationBytes,
  parseEnvelope,
} from './envelope.js'

/** Prefix of the sr25519-signed message; keeps it from being valid as anything else signed by the worker. */
export const substrateEnvelopeContext = 'teefn/substrate-envelope/v2'

/** The SCALE struct's fields, in order (Rust: `[u8; 32]`, `Vec<u8>`, `u8`). */
export type SubstrateEnvelopeFields = {
  /** Genesis hash, 32 bytes. */
  chain: Uint8Array
  destination: Uint8Array
  requestId: Uint8Array
  functionId: Uint8Array
  /** keccak256 of the payload the function received. */
  payloadHash: Uint8Array
  codeHash: Uint8Array
  status: number
  /** keccak256(result). */
  resultHash: Uint8Array
  result: Uint8Array
  /** sr25519 public key, 32 bytes. */
  worker: Uint8Array
}

const contextBytes = utf8(substrateEnvelopeContext)

/**
 * SCALE encoding of the struct `{ chain, destination, requestId, functionId, payloadHash, codeHash, status,
 * resultHash, result, worker }`; with `withResult: false` the `result` field is left out (the signed form: resultHash binds it).
 */
export function encodeSubstrateEnvelopeFields(
  fields: SubstrateEnvelopeFields,
  withResult: boolean,
): Uint8Array {
  return concatBytes(
    fields.chain,
    compactToU8a(fields.destination.length),
    fields.destination,
    fields.requestId,
    fields.functionId,
    fields.payloadHash,
    fields.codeHash,
    Uint8Array.of(fields.status),
    fields.resultHash,
    ...(withResult ? [compactToU8a(fields.result.length), fields.result] : []),
    fields.worker,
  )
}

/** The bytes the worker signs with sr25519: UTF-8 context || SCALE(all fields but result). */
export function substrateSigningMessage(fields: SubstrateEnvelopeFields): Uint8Array {
  return concatBytes(contextBytes, encodeSubstrateEnvelopeFields(fields, false))
}

/** The fields of a (parsed) substrate envelope. */
export function substrateFieldsOf(envelope: Envelope): SubstrateEnvelopeFields {
  return {
    chain: fieldBytes(envelope.chainId as `0x${string}`),
    destination: fieldBytes(envelope.destination),
    requestId: fieldBytes(envelope.requestId),
    functionId: fieldBytes(envelope.functionId),
    payloadHash: fieldBytes(envelope.payloadHash),
    codeHash: fieldBytes(envelope.codeHash),
    status: statusCode(envelope.status),
    resultHash: fieldBytes(envelope.resultHash),
    result: fieldBytes(envelope.result),
    worker: fieldBytes(envelope.worker),
  }
}

/** On-chain wire bytes: SCALE(all fields, result included) followed by the 64-byte sr25519 signature. */
export function encodeSubstrateEnvelope(envelope: Envelope): Uint8Array {
  const parsed = parseEnvelope(envelope)
  if (parsed.family !== 'substrate') {
    throw new EnvelopeError('Only substrate envelopes have a SCALE wire form.', {
      code: 'ENVELOPE_MALFORMED',
      details: `family is ${parsed.family}`,
    })
  }
  return concatBytes(
    encodeSubstrateEnvelopeFields(substrateFieldsOf(parsed), true),
    fieldBytes(parsed.signature),
  )
}

/** Reads wire bytes back into the JSON envelope (not verified: pass the result to `verifyEnvelope`). */
export function decodeSubstrateEnvelope(wire: Uint8Array): Envelope {
  let offset = 0
  const take = (length: number, field: string): Uint8Array => {
    if (offset + length > wire.length) throw truncated(field)
    const bytes = wire.subarray(offset, offset + length)
    offset += length
    return bytes
  }
  const takeVec = (field: string, max: number): Uint8Array => {
    if (offset >= wire.length) throw truncated(field)
    let prefix: number
    let length: number
    try {
      const [read, value] = compactFromU8a(wire.subarray(offset))
      prefix = read
      length = value.toNumber()
    } catch {
      throw truncated(field)
    }
    if (length > max) throw malformedWire(`${field} is ${length} bytes, more than ${max}`)
    offset += prefix
    return take(length, field)
  }
  const chain = take(32, 'chain')
  const destination = takeVec('destination', maxSubstrateDestinationBytes)
  const requestId = take(32, 'requestId')
  const functionId = take(32, 'functionId')
  const payloadHash = take(32, 'payloadHash')
  const codeHash = take(32, 'codeHash')
  const statusByte = take(1, 'status')[0]!
  const status: ResultStatus | undefined = statusName(statusByte)
  if (!status) throw malformedWire(`unknown status code ${statusByte}`)
  const resultHash = take(32, 'resultHash')
  const result = takeVec('result', wire.length)
  const worker = take(32, 'worker')
  const signature = take(64, 'signature')
  if (offset !== wire.length) throw malformedWire(`${wire.length - offset} bytes after the signature`)
  return {
    version: envelopeVersion,
    family: 'substrate',
    chainId: bytesToHex(chain),
    destination: bytesToHex(destination),
    requestId: bytesToHex(requestId),
    functionId: bytesToHex(functionId),
    payloadHash: bytesToHex(payloadHash),
    codeHash: bytesToHex(codeHash),
    status,
    resultHash: bytesToHex(resultHash),
    result: bytesToHex(result),
    worker: bytesToHex(worker),
    signature: bytesToHex(signature),
  }
}

function truncated(field: string): EnvelopeError {
  return malformedWire(`truncated at ${field}`)
}

function malformedWire(details: string): EnvelopeError {
  return new EnvelopeError('Not a teefn substrate envelope.', {
    code: 'ENVELOPE_MALFORMED',
    details,
    hint: 'Pass the exact bytes of the remark the relayer submitted.',
  })
}
