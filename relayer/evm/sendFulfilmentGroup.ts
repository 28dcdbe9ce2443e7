import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { checkStillPending } from './checkStillPending.js'
import type { FulfilmentSender } from './createFulfilmentSender.js'
import type { Fulfilment, FulfilmentResult } from './Fulfilment.js'

/** A delivery on its way to a consumer. */
export type PendingFulfilment = {
  fulfilment: Fulfilment
  /** It ran before (a retry, or a job a crashed submitter held): it may have landed already. */
  rerun: boolean
}

export type SendFulfilmentGroupParameters = {
  rpc: RpcClient
  sender: FulfilmentSender
  /** The consumer every delivery of the group is for. */
  destination: string
  deliveries: readonly PendingFulfilment[]
}

export type SendFulfilmentGroupReturnType = {
  /** Each delivery's outcome, in order. */
  results: PromiseSettledResult<FulfilmentResult>[]
  /** Deliveries that went into the transaction (0: none was sent). */
  sent: number
}

/**
 * Sends one group of deliveries for a consumer: the ones that ran before are re-checked on-chain first
 * (`checkStillPending`) and settled without a transaction when answered already (or refused for good); the rest
 * leave in one transaction (`FulfilmentSender.send`). A first run skips the check: the consumer refuses a
 * duplicate anyway, and the check costs the node a call per request.
 */
export async function sendFulfilmentGroup({
  rpc,
  sender,
  destination,
  deliveries,
}: SendFulfilmentGroupParameters): Promise<SendFulfilmentGroupReturnType> {
  const results: (PromiseSettledResult<FulfilmentResult> | undefined)[] = deliveries.map(() => undefined)
  const rechecks = deliveries.flatMap((item, index) => (item.rerun ? [index] : []))
  if (rechecks.length > 0) {
    const requestIds = rechecks.map((index) => deliveries[index]!.fulfilment.requestId)
    const states = await checkStillPending({ rpc, destination, requestIds })
    rechecks.forEach((index, at) => {
      results[index] = states[at]
    })
  }
  const pending = results.flatMap((result, index) => (result ? [] : [index]))
  if (pending.length > 0) {
    const fulfilments = pending.map((index) => deliveries[index]!.fulfilment)
    const sent = await sender.send(destination, fulfilments)
    pending.forEach((index, at) => {
      results[index] = sent[at]
    })
  }
  return {
    results: results as PromiseSettledResult<FulfilmentResult>[],
    sent: pending.length,
  }
}
