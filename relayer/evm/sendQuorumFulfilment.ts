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
 * without a transaction; `WorkerNotActive(signer)` leaves that signer's answer out and tries the rest; other
 * refusals throw `DeliveryRejectedError`, and nothing is sent then.
 */
export async function sendQuorumFulfilment({
  transactions,
  gas,
  destination,
  envelopes,
  receiptTimeoutMs = 60_000,
}: SendQuorumFulfilmentParameters): Promise<SendQuorumFulfilmentReturnType> {
  const requestId = envelopes[0]!.requestId
  let sending = [...envelopes]
  let encoded = encodeQuorumCalldata(sending)
  let plan: Awaited<ReturnType<GasPlanner['plan']>>
  for (;;) {
    try {
      plan = await gas.plan(destination, encoded.data)
      break
    } catch (error) {
      const revert = decodeConsumerRevert(error)
      const reason = rejectionOfRevert(revert)
      if (reason === 'AlreadyFulfilled') return { outcome: 'alreadyFulfilled' }
      // An answer held from a worker removed (or expired) since it answered: the consumer refuses the whole set,
      // so it is left out and the others are tried again; too few left is the consumer's QuorumNotReached.
      const inactive = reason === 'WorkerNotActive' ? String(revert?.args[0]).toLowerCase() : undefined
      const rest = sending.filter((envelope) => envelope.worker.toLowerCase() !== inactive)
      if (inactive && rest.length > 0 && rest.length < sending.length) {
        sending = rest
        encoded = encodeQuorumCalldata(sending)
        continue
      }
      if (reason) throw new DeliveryRejectedError({ reason, requestId, destination })
      throw error
    }
  }
  const { data, signers } = encoded
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
