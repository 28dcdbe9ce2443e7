import type { Hex } from '../../bytes.js'

/** Which blocks count: `finalized` (at or below the finalized head) or `best` (on the best chain). */
export type SubstrateHeads = 'finalized' | 'best'

/** Where the relayer says a request is. Untrusted (job data): only a pointer into the chain. */
export type SubstrateRequestHint = {
  blockHash: Hex
  /** The extrinsic's index in that block. */
  extrinsicIndex: number
  /** The id the job claims; the request is found only if the chain's content hashes to it. */
  requestId: Hex
}

/** A request remark as a quorum of endpoints read it, its id recomputed from that content (lowercase hex). */
export type SubstrateRequest = {
  requestId: Hex
  functionId: Hex
  /** `System.Remarked.sender` (AccountId32): who asked, the result's destination. */
  origin: Hex
  /** The remark's payload bytes, 0x-hex: what the function gets. */
  payload: Hex
  /** keccak256(payload). */
  payloadHash: Hex
  blockHash: Hex
  blockNumber: number
  extrinsicIndex: number
}

/** What `readRequest` returns. */
export type SubstrateRequestReading = { request: SubstrateRequest }

/**
 * One endpoint's answer to a hint, compared across endpoints as canonical JSON: the request it found,
 * `notFound` (the block is canonical, or final, but no remark of that extrinsic has this id), or
 * `notConfirmed` (the endpoint does not know the block, or it is not canonical, or not final yet).
 */
export type SubstrateEndpointAnswer =
  | { kind: 'found'; request: SubstrateRequest }
  | { kind: 'notFound' }
  | { kind: 'notConfirmed' }
