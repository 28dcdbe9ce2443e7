import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { decodeConsumerRevert, rejectionOfRevert } from './consumerRejection.js'
import type { GasPlanner } from './createGasPlanner.js'
import type { TransactionSender } from './createTransactionSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import { encodeQuorumCalldata } from './encodeQuorumCalldata.js'
import { FulfilmentTransactionError } from './FulfilmentTransactionError.js'

export type SendQuorumFulfilmentParameters = {
  transactions: TransactionSender
  gas: GasPlanner
  /** The consumer. */
  destination: string
  /** The signed envelopes to send, every valid one held (dissenters too, so `QuorumDissent` names them). */
  envelopes: readonly Envelope[]
  receiptTimeoutMs?: number | undefined
}

export type SendQuorumFulfilmentReturnType =
  | { outcome: 'fulfilled'; transactionHash: Hex; blockNumber: number; signers: string[] }
  | { outcome: 'alreadyFulfilled' }

/**
 * Sends one `fulfillQuorum` transaction for `envelopes` (ordered by signer, `encodeQuorumCalldata`). Gas comes from
 * one execution, which also reverts with the consumer's reason: `AlreadyFulfilled` (another node was first) ends
 * without a transaction, other refusals throw `DeliveryRejectedError`, and nothing is sent then.
 */
export async function sendQuorumFulfilment({
  transactions,
  gas,
  destination,
  envelopes,
  receiptTimeoutMs = 60_000,
}: SendQuorumFulfilmentParameters): Promise<SendQuorumFulfilmentReturnType> {
  const { data, signers } = encodeQuorumCalldata(envelopes)
  const requestId = envelopes[0]!.requestId
  let plan: Awaited<ReturnType<GasPlanner['plan']>>
  try {
    plan = await gas.plan(destination, data)
  } catch (error) {
    const reason = rejectionOfRevert(decodeConsumerRevert(error))
    if (reason === 'AlreadyFulfilled') return { outcome: 'alreadyFulfilled' }
    if (reason) throw new DeliveryRejectedError({ reason, requestId, destination })
    throw error
  }
  const { hash, receipt } = await transactions.sendAndWait(
    { to: destination, data, ...plan },
    receiptTimeoutMs,
  )
  if (Number(receipt.status) !== 1) {
    throw new FulfilmentTransactionError('The quorum fulfilment transaction reverted.', {
      code: 'FULFILMENT_REVERTED',
      details: `transaction ${hash} for request ${requestId}`,
    })
  }
  return { outcome: 'fulfilled', transactionHash: hash, blockNumber: Number(receipt.blockNumber), signers }
}
