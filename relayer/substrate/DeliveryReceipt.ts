import type { Hex } from '../../runtime/bytes.js'

/** What a Substrate delivery job returns: where its result is on-chain. */
export type DeliveryReceipt = {
  requestId: Hex
  blockHash: Hex
  extrinsicIndex: number
  /** True when the result was found on-chain already and nothing was sent. */
  alreadyDelivered: boolean
  nonce?: number | undefined
  /** Envelopes in the extrinsic that carried this one. */
  batchSize?: number | undefined
  /** ms since epoch: sent, and seen included. */
  submittedAt?: number | undefined
  includedAt?: number | undefined
}
