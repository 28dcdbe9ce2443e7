import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { NonceManager } from '../shared/createNonceManager.js'
import { decodeConsumerRevert, isRevert, rejectionOfRevert } from './consumerRejection.js'
import { createFeeOracle } from './createFeeOracle.js'
import { createGasPlanner, type GasPlan } from './createGasPlanner.js'
import { createTransactionSender, type TransactionSender } from './createTransactionSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import { encodeFulfilmentCalldata } from './encodeFulfilmentCalldata.js'
import type { Fulfilment, FulfilmentResult } from './Fulfilment.js'
import { settleFulfilments } from './settleFulfilments.js'

export type { Fulfilment, FulfilmentResult } from './Fulfilment.js'
export { FulfilmentTransactionError } from './FulfilmentTransactionError.js'

export type CreateFulfilmentSenderParameters = {
  /** JSON-RPC client of the chain. */
  rpc: RpcClient
  /** The relayer's key (0x-hex); pays for fulfilments. Only signs transactions here. */
  privateKey: string
  chainId: bigint
  /** Added to the gas one execution used (at least 25 %, see `gasForExecution`), or to `estimateGas`; 25 % by default. */
  gasHeadroomPercent?: number | undefined
  /** How long a sent transaction may take to be mined; 60 s by default. */
  receiptTimeoutMs?: number | undefined
  /** How long fee data is reused; 1 s by default. */
  feeCacheMs?: number | undefined
  logger?: Logger | undefined
}

export type FulfilmentSender = {
  readonly address: string
  readonly nonces: NonceManager
  /** The key's transaction sender, for other transactions that must share its nonces (Phat relays). */
  readonly transactions: TransactionSender
  /**
   * Sends the envelopes for `destination` in one transaction (`fulfillBatch` for several, `fulfill` for
   * one) and settles each: fulfilled, already fulfilled, rejected, or an error to retry.
   */
  send(destination: string, fulfilments: Fulfilment[]): Promise<PromiseSettledResult<FulfilmentResult>[]>
  /** Transactions broadcast so far. */
  readonly sent: number
}

/**
 * Sends fulfilments from one key: gas from one real execution plus the consumer's hook reservation
 * (`createGasPlanner`), fees reused for a moment and local nonces (`createTransactionSender`), the receipt polled
 * (`waitForReceipt`, which frees the nonces when nothing is mined in time) and read per envelope
 * (`settleFulfilments`). A single envelope the consumer would refuse fails that execution and is never sent; a
 * batch whose execution reverts is sent one by one, so each envelope speaks for itself.
 */
export function createFulfilmentSender({
  rpc,
  privateKey,
  chainId,
  gasHeadroomPercent,
  receiptTimeoutMs = 60_000,
  feeCacheMs,
  logger,
}: CreateFulfilmentSenderParameters): FulfilmentSender {
  const fees = createFeeOracle({ rpc, cacheMs: feeCacheMs })
  const transactions = createTransactionSender({ rpc, privateKey, chainId, fees })
  const gas = createGasPlanner({
    rpc,
    from: transactions.address,
    headroomPercent: gasHeadroomPercent,
    logger,
  })

  /** Broadcasts `fulfilments` in one transaction with `plan`, and settles each from its receipt. */
  const sendPlanned = async (
    destination: string,
    fulfilments: Fulfilment[],
    data: `0x${string}`,
    plan: GasPlan,
  ) => {
    // Not mined in time: the nonce may be stuck behind it; the next send reads it from the node again.
    const { hash, receipt } = await transactions.sendAndWait(
      { to: destination, data, ...plan },
      receiptTimeoutMs,
    )
    return settleFulfilments({ receipt, transactionHash: hash, destination, fulfilments })
  }

  const sendOne = async (destination: string, fulfilment: Fulfilment): Promise<FulfilmentResult> => {
    const data = encodeFulfilmentCalldata([fulfilment.envelope])
    let plan: GasPlan
    try {
      plan = await gas.plan(destination, data)
    } catch (error) {
      const reason = rejectionOfRevert(decodeConsumerRevert(error))
      if (reason === 'AlreadyFulfilled') return { outcome: 'alreadyFulfilled' }
      if (reason) throw new DeliveryRejectedError({ reason, requestId: fulfilment.requestId, destination })
      throw error
    }
    const [settled] = await sendPlanned(destination, [fulfilment], data, plan)
    if (settled!.status === 'rejected') throw settled!.reason
    return settled!.value
  }

  const sendBatch = async (destination: string, fulfilments: Fulfilment[]) => {
    const data = encodeFulfilmentCalldata(fulfilments.map((item) => item.envelope))
    let plan: GasPlan
    try {
      plan = await gas.plan(destination, data)
    } catch (error) {
      // A batch reverts only as a whole (the hook gas check): let each envelope speak for itself.
      if (!isRevert(error)) throw error
      logger?.warn({ destination, size: fulfilments.length }, 'batch execution reverted; sending one by one')
      return Promise.allSettled(fulfilments.map((item) => sendOne(destination, item)))
    }
    return sendPlanned(destination, fulfilments, data, plan)
  }

  return {
    address: transactions.address,
    nonces: transactions.nonces,
    transactions,
    get sent() {
      return transactions.sent
    },
    async send(destination, fulfilments) {
      if (fulfilments.length === 1) return Promise.allSettled([sendOne(destination, fulfilments[0]!)])
      try {
        return await sendBatch(destination, fulfilments)
      } catch (error) {
        return fulfilments.map(() => ({ status: 'rejected', reason: error }))
      }
    },
  }
}
