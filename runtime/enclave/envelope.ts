import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, type Hex, hexToBytes, isHex, isHexBytes, utf8 } from '../bytes.js'
import { type ResultStatus, resultStatuses } from '../resultStatus.js'
import { EnvelopeError } from './EnvelopeError.js'

export type EnvelopeFamily = 'evm' | 'substrate'

/**
 * The JSON form of a signed result, one shape for both chain families: what `teefn verify` reads, what the
 * HTTP API returns and what the worker puts on the delivery queue.
 */
export type Envelope = {
  /** 2 since the envelope signs `payloadHash`; version 1 is refused. */
  version: 2
  family: EnvelopeFamily
  /** evm: the chain id as a decimal string (0 for HTTP invocations). substrate: 0x genesis hash. */
  chainId: string
  /** evm: consumer contract address (the zero address for HTTP). substrate: destination bytes. */
  destination: Hex
  requestId: Hex
  functionId: Hex
  /**
   * keccak256 of the payload bytes the function received (evm: the `RequestSent` payload; substrate: the
   * remark payload; HTTP: the UTF-8 bytes of the request text), so a consumer can tell the answer is to its question.
   */
  payloadHash: Hex
  codeHash: Hex
  /** How the invocation ended (`resultStatus.ts`); failures are signed too. */
  status: ResultStatus
  /** keccak256(result). */
  resultHash: Hex
  /** The function's result bytes; for failures the UTF-8 error message, bounded (`errorResultBytes`). */
  result: Hex
  /** evm: EIP-55 address of the worker's secp256k1 key. substrate: the worker's sr25519 public key. */
  worker: Hex
  /** evm: 65 bytes r||s||v. substrate: 64-byte sr25519 signature. */
  signature: Hex
}

/** keccak256 of result bytes: the `resultHash` of both families. */
export function resultHashOf(result: Uint8Array): Uint8Array {
  return keccak_256(result)
}

/** keccak256 of the payload bytes a function received: the `payloadHash` that `signEnvelope` takes. */
export function payloadHashOf(payload: Uint8Array): Hex {
  return bytesToHex(keccak_256(payload))
}

/** The envelope version `parseEnvelope` accepts and `signEnvelope` writes. */
export const envelopeVersion = 2 as const

/** Longest error message a failed invocation signs into its envelope, in UTF-8 bytes. */
export const maxErrorResultBytes = 1024

/** The result bytes of a failed invocation: its error message in UTF-8, cut to `maxErrorResultBytes` on a character boundary. */
export function errorResultBytes(message: string): Uint8Array {
  const bytes = utf8(message)
  if (bytes.length <= maxErrorResultBytes) return bytes
  let end = maxErrorResultBytes
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.slice(0, end)
}

const maxUint256 = (1n << 256n) - 1n
/** Substrate destinations are account ids or contract addresses; anything longer is not one. */
export const maxSubstrateDestinationBytes = 256

/** Checks the JSON form strictly and returns it typed; `ENVELOPE_MALFORMED` names the first bad field. */
export function parseEnvelope(value: unknown): Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('the envelope is not a JSON object')
  }
  const record = value as Record<string, unknown>
  if (record.version === 1) {
    throw new EnvelopeError('Envelope version 1 is no longer accepted.', {
      code: 'ENVELOPE_MALFORMED',
      details: 'version 1 envelopes do not sign the hash of the payload they answer',
      hint: 'Upgrade the worker that produced it (and this tool) to a teefn release that signs version 2 envelopes.',
    })
  }
  if (record.version !== envelopeVersion) {
    throw malformed(`version must be ${envelopeVersion}, got ${JSON.stringify(record.version)?.slice(0, 20)}`)
  }
  const family = record.family
  if (family !== 'evm' && family !== 'substrate') throw malformed('family must be "evm" or "substrate"')
  const evm = family === 'evm'

  const chainId = record.chainId
  if (evm) {
    if (
      typeof chainId !== 'string' ||
      !/^(0|[1-9][0-9]{0,77})$/.test(chainId) ||
      BigInt(chainId) > maxUint256
    ) {
      throw malformed('chainId must be a decimal string (uint256) for evm envelopes')
    }
  } else if (!isHexBytes(chainId, 32)) {
    throw malformed('chainId must be the 32-byte genesis hash (0x-hex) for substrate envelopes')
  }
  if (
    evm ? !isHexBytes(record.destination, 20) : !isBytesUpTo(record.destination, maxSubstrateDestinationBytes)
  ) {
    throw malformed(evm ? 'destination must be a 20-byte address' : 'destination must be 0x-hex bytes')
  }
  for (const field of ['requestId', 'functionId', 'payloadHash', 'codeHash', 'resultHash'] as const) {
    if (!isHexBytes(record[field], 32)) throw malformed(`${field} must be 32 bytes of 0x-hex`)
  }
  if (typeof record.status !== 'string' || !(resultStatuses as readonly string[]).includes(record.status)) {
    throw malformed(`status must be one of ${resultStatuses.join(', ')}`)
  }
  if (!isHex(record.result)) throw malformed('result must be 0x-hex bytes')
  if (!isHexBytes(record.worker, evm ? 20 : 32)) {
    throw malformed(evm ? 'worker must be a 20-byte address' : 'worker must be a 32-byte sr25519 public key')
  }
  if (!isHexBytes(record.signature, evm ? 65 : 64))
    throw malformed(`signature must be ${evm ? 65 : 64} bytes`)

  return {
    version: envelopeVersion,
    family,
    chainId: chainId as string,
    destination: record.destination as Hex,
    requestId: record.requestId as Hex,
    functionId: record.functionId as Hex,
    payloadHash: record.payloadHash as Hex,
    codeHash: record.codeHash as Hex,
    status: record.status as ResultStatus,
    resultHash: record.resultHash as Hex,
    result: record.result as Hex,
    worker: record.worker as Hex,
    signature: record.signature as Hex,
  }
}

function isBytesUpTo(value: unknown, maxLength: number): value is Hex {
  return isHex(value) && value.length <= 2 + maxLength * 2
}

/** Decodes a field `parseEnvelope` already checked. */
export function fieldBytes(value: Hex): Uint8Array {
  return hexToBytes(value)!
}

function malformed(details: string): EnvelopeError {
  return new EnvelopeError('Not a teefn envelope.', {
    code: 'ENVELOPE_MALFORMED',
    details,
    hint: 'Pass the envelope JSON exactly as the worker or the HTTP API returned it.',
  })
}
