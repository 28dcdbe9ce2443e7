import { rejectionOfCode } from './consumerRejection.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import { decodeConsumerEvents } from './decodeConsumerEvents.js'
import type { Fulfilment, FulfilmentResult } from './Fulfilment.js'
import { FulfilmentTransactionError } from './FulfilmentTransactionError.js'
import type { RpcReceipt } from './waitForReceipt.js'

export type SettleFulfilmentsParameters = {
  /** The mined fulfilment transaction's receipt. */
  receipt: RpcReceipt
  transactionHash: string
  /** The consumer it called. */
  destination: string
  /** What it carried, in calldata order: `fulfill` for one, `fulfillBatch` for several. */
  fulfilments: readonly Fulfilment[]
}

/**
 * Each envelope's outcome, from what the consumer emitted for it: `RequestFulfilled` -> fulfilled (with the worker
 * and whether the hook succeeded); `FulfillmentRejected` -> already fulfilled, or refused for good
 * (`DeliveryRejectedError` with the reason); neither, or a reverted transaction -> an error to retry.
 */
export function settleFulfilments({
  receipt,
  transactionHash,
  destination,
  fulfilments,
}: SettleFulfilmentsParameters): PromiseSettledResult<FulfilmentResult>[] {
  const method = fulfilments.length === 1 ? 'fulfill' : 'fulfillBatch'
  if (Number(receipt.status) !== 1) {
    // Reverted after a good execution: most likely answered by someone else in between; the retry re-checks.
    const reason = new FulfilmentTransactionError(`A ${method} transaction reverted.`, {
      code: 'FULFILMENT_REVERTED',
      details: `Transaction ${transactionHash} (${fulfilments.length} envelopes) has status ${receipt.status}.`,
      hint: 'Each delivery is retried after checking whether its request is still pending.',
    })
    return fulfilments.map(() => ({ status: 'rejected', reason }))
  }
  const events = decodeConsumerEvents(receipt, destination)
  const blockNumber = Number(receipt.blockNumber)
  return fulfilments.map(({ requestId }): PromiseSettledResult<FulfilmentResult> => {
    // The same request twice in a batch: the first is accepted, the second rejected as already fulfilled.
    const event = events.get(requestId.toLowerCase())?.shift()
    if (event?.name === 'RequestFulfilled') {
      const { worker, hookSucceeded } = event
      const batchSize = fulfilments.length
      const value = {
        outcome: 'fulfilled',
        transactionHash,
        blockNumber,
        method,
        batchSize,
        worker,
        hookSucceeded,
      } as const
      return { status: 'fulfilled', value }
    }
    const reason = event && rejectionOfCode(event.reason)
    if (reason === 'AlreadyFulfilled') {
      return { status: 'fulfilled', value: { outcome: 'alreadyFulfilled', transactionHash } }
    }
    if (reason) {
      return {
        status: 'rejected',
        reason: new DeliveryRejectedError({ reason, requestId, destination, transactionHash }),
      }
    }
    return {
      status: 'rejected',
      reason: new FulfilmentTransactionError('A fulfilment said nothing about an envelope it carried.', {
        code: 'FULFILMENT_UNACCOUNTED',
        details: `Transaction ${transactionHash} has no RequestFulfilled or FulfillmentRejected for ${requestId}.`,
        hint: 'The delivery is retried after checking whether its request is still pending.',
      }),
    }
  })
}
