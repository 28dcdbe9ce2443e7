import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesEqual, bytesToHex, type Hex } from '../../bytes.js'
import { deriveRequestId } from './deriveRequestId.js'
import { decodeRemark, type ResultRemark } from './remarkProtocol.js'

/** A `remarkWithEvent` call of an extrinsic (`findRemarkCalls`) with its bytes' hash, as the runtime hashes them. */
export type RemarkCall = { bytes: Uint8Array; hash: Uint8Array }

export type DecodeRemarkedEventParameters = {
  /** The chain's genesis hash. */
  genesisHash: Hex
  /** blake2_256 of the extrinsic's encoded bytes. */
  extrinsicHash: Hex
  /** Every `remarkWithEvent` call of the extrinsic, depth first. */
  remarks: readonly RemarkCall[]
  /** The `System.Remarked` event: its sender (AccountId32 hex), its hash, and how many `Remarked` events of the same extrinsic came before it. */
  event: { sender: Hex; hash: Uint8Array; ordinal: number }
}

/** A request remark as the chain holds it, with its v2 request id. */
export type RemarkedRequest = {
  kind: 'request'
  requestId: Hex
  /** Position of the remark among the extrinsic's `remarkWithEvent` calls: the id's ordinal. */
  ordinal: number
  /** `System.Remarked.sender`, AccountId32 hex: the account whose origin made the remark. */
  origin: Hex
  functionId: Hex
  payload: Uint8Array
  /** keccak256(payload). */
  payloadHash: Hex
}

export type DecodeRemarkedEventReturnType =
  | RemarkedRequest
  | (ResultRemark & { sender: Hex })
  | { kind: 'foreign' }
  | { kind: 'malformed'; reason: string }
  /** No `remarkWithEvent` call of the extrinsic has the event's hash (a call behind an opaque wrapper). */
  | { kind: 'unlocated'; reason: string }

/**
 * What one `System.Remarked` event is: it carries only the remark's hash, so it is matched to the
 * `remarkWithEvent` call of its extrinsic with that hash, whose bytes are decoded. The relayer (to queue a
 * request) and the worker (to re-read it) both decide here, so they cannot disagree on a request's id.
 *
 * Events follow execution order, which is the calls' depth-first order: the k-th event's call is at
 * position k or later, so the search starts there (two identical remarks get distinct positions), then
 * looks anywhere as a fallback.
 */
export function decodeRemarkedEvent({
  genesisHash,
  extrinsicHash,
  remarks,
  event,
}: DecodeRemarkedEventParameters): DecodeRemarkedEventReturnType {
  let position = remarks.findIndex(
    (call, index) => index >= event.ordinal && bytesEqual(call.hash, event.hash),
  )
  if (position < 0) position = remarks.findIndex((call) => bytesEqual(call.hash, event.hash))
  if (position < 0) {
    return { kind: 'unlocated', reason: 'no remarkWithEvent call with this hash (an opaque wrapper?)' }
  }
  const decoded = decodeRemark(remarks[position]!.bytes)
  if (decoded.kind === 'foreign' || decoded.kind === 'malformed') return decoded
  if (decoded.kind === 'result') return { ...decoded, sender: event.sender }
  // The id binds a 32-byte account; a chain with other account ids needs its own trigger.
  if (!/^0x[0-9a-fA-F]{64}$/.test(event.sender)) {
    return { kind: 'malformed', reason: 'the remark sender is not an AccountId32' }
  }
  const origin = event.sender.toLowerCase() as Hex
  const payloadHash = bytesToHex(keccak_256(decoded.payload))
  return {
    kind: 'request',
    requestId: deriveRequestId({
      genesisHash,
      extrinsicHash,
      ordinal: position,
      origin,
      functionId: decoded.functionId,
      payloadHash,
    }),
    ordinal: position,
    origin,
    functionId: decoded.functionId,
    payload: decoded.payload,
    payloadHash,
  }
}
