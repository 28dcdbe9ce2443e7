import type { EnvelopeCalldata } from './encodeFulfilmentCalldata.js'

/** One envelope for a consumer, in the calldata form. */
export type Fulfilment = { requestId: string; envelope: EnvelopeCalldata }

/** What happened to one envelope. Rejections are thrown as `DeliveryRejectedError`, anything else to retry. */
export type FulfilmentResult =
  | {
      outcome: 'fulfilled'
      transactionHash: string
      blockNumber: number
      /** `fulfill` for one envelope, `fulfillBatch` for several. */
      method: 'fulfill' | 'fulfillBatch'
      batchSize: number
      /** The worker that signed, as the consumer recovered it. */
      worker: string
      /** false when the consumer's hook reverted (final: the request counts as answered). */
      hookSucceeded: boolean
    }
  | { outcome: 'alreadyFulfilled'; transactionHash?: string | undefined }
