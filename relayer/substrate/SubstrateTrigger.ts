import type { EventRecord, Extrinsic } from '@polkadot/types/interfaces'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'

/** One block as the watcher reads it: extrinsics and events decoded with the block's own metadata. */
export type SubstrateBlock = {
  /** The chain's genesis hash (0x-hex): `chainId` of its requests. */
  chainId: Hex
  number: number
  hash: Hex
  parentHash: Hex
  extrinsics: readonly Extrinsic[]
  events: readonly EventRecord[]
}

/** What a trigger found in a block. */
export type TriggerFinding =
  /** A request to run: queued as a job (the watcher adds `seenAt`). */
  | { kind: 'request'; extrinsicIndex: number | undefined; request: Omit<RequestJobData, 'seenAt'> }
  /** A delivered result: indexed so the submitter never delivers that request again. */
  | {
      kind: 'result'
      requestId: Hex
      /** The account that put the result on-chain (AccountId32 hex); only trusted senders are indexed. */
      sender: Hex
      extrinsicIndex: number
      envelope: Envelope
      /** A quorum result's envelopes (the remark protocol's kind 0x03); `envelope` is the first of them. */
      envelopes?: Envelope[] | undefined
      /** Where the result says its request was seen, when its protocol says (the remark protocol does). */
      reference?: { blockHash: Hex; extrinsicIndex: number } | undefined
    }
  /** Ours but unreadable: counted and logged, never fatal. */
  | { kind: 'malformed'; extrinsicIndex: number | undefined; eventIndex: number; reason: string }
  /** Matched the filter but could not be read at all (e.g. a call behind an opaque wrapper): counted. */
  | { kind: 'unreadable'; extrinsicIndex: number | undefined; eventIndex: number; reason: string }

/**
 * Maps chain events to teefn requests (and results). The remark protocol (`createRemarkTrigger`) is the
 * first; a chain with its own pallet or an ink!/revive contract adds one with `createEventTrigger`, filtering
 * its own event. `scan` must not throw on bad chain data: it reports `malformed` instead.
 */
export interface SubstrateTrigger {
  readonly name: string
  scan(block: SubstrateBlock): TriggerFinding[]
}
