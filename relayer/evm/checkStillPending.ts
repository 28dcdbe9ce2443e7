import type { Hex } from '../../runtime/bytes.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { decodeRequestInfo, requestInfoCalldata } from '../../runtime/chain/evm/registryCalls.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import type { FulfilmentResult } from './Fulfilment.js'
import { FulfilmentTransactionError } from './FulfilmentTransactionError.js'

export type CheckStillPendingParameters = {
  rpc: RpcClient
  /** The consumer. */
  destination: string
  requestIds: readonly string[]
}

/** Per request, in order: undefined while it is still pending (send it), else its outcome without a transaction. */
export type CheckStillPendingReturnType = (PromiseSettledResult<FulfilmentResult> | undefined)[]

/**
 * Re-checks requests on-chain before a delivery is sent again (a retry, or a job a crashed submitter held): one
 * JSON-RPC batch of `requestInfo` calls. Answered already (by us before a crash or a lost receipt, or by another
 * relayer) -> already fulfilled; never issued, cancelled or expired -> refused for good with that reason; still
 * pending -> undefined. A call that fails, or an answer that does not decode, fails that delivery for a retry;
 * the batch failing as a whole throws.
 */
export async function checkStillPending({
  rpc,
  destination,
  requestIds,
}: CheckStillPendingParameters): Promise<CheckStillPendingReturnType> {
  const answers = await rpc.batch<string>(
    requestIds.map((requestId) => ({
      method: 'eth_call',
      params: [{ to: destination, data: requestInfoCalldata(requestId as Hex) }, 'latest'],
    })),
  )
  return answers.map((answer, index): PromiseSettledResult<FulfilmentResult> | undefined => {
    if (answer.status === 'rejected') return answer
    const requestId = requestIds[index]!
    const state = decodeRequestInfo(answer.value)?.state
    const refused = (reason: 'UnknownRequest' | 'RequestCancelled' | 'RequestExpired') => ({
      status: 'rejected' as const,
      reason: new DeliveryRejectedError({ reason, requestId, destination }),
    })
    switch (state) {
      case 'Pending':
        return undefined
      case 'Fulfilled':
      case 'FulfilledHookFailed':
        return { status: 'fulfilled', value: { outcome: 'alreadyFulfilled' } }
      case 'None':
        return refused('UnknownRequest')
      case 'Cancelled':
        return refused('RequestCancelled')
      case 'Expired':
        return refused('RequestExpired')
      default:
        return {
          status: 'rejected',
          reason: new FulfilmentTransactionError('The consumer gave an unreadable requestInfo.', {
            code: 'REQUEST_STATE_UNREADABLE',
            details: `${destination} answered ${String(answer.value).slice(0, 80)} for ${requestId}.`,
            hint: 'Check that the destination is a TeefnConsumer of this version; the delivery is retried.',
          }),
        }
    }
  })
}
