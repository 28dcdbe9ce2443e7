import type { Hex } from '../../runtime/bytes.js'
import type { RequestState } from '../../runtime/chain/evm/consumerCodes.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { decodeRequestInfo, requestInfoCalldata } from '../../runtime/chain/evm/registryCalls.js'

export type RequestStateReading = {
  state: RequestState | undefined
  /** The request's deadline and the latest block's time (unix seconds): past the deadline nothing is accepted. */
  deadline: number
  now: number
}

/** A consumer's record of a request and the chain's time, in one JSON-RPC batch at the latest block. */
export async function readRequestState(
  rpc: RpcClient,
  consumer: string,
  requestId: string,
): Promise<RequestStateReading> {
  const [info, block] = await rpc.batch<unknown>([
    { method: 'eth_call', params: [{ to: consumer, data: requestInfoCalldata(requestId as Hex) }, 'latest'] },
    { method: 'eth_getBlockByNumber', params: ['latest', false] },
  ])
  if (info!.status === 'rejected') throw info!.reason
  if (block!.status === 'rejected') throw block!.reason
  const record = decodeRequestInfo(info!.value)
  const timestamp = (block!.value as { timestamp?: unknown } | null)?.timestamp
  if (!record || typeof timestamp !== 'string') {
    throw new TypeError(`the node gave no readable requestInfo or block for request ${requestId}`)
  }
  return { state: record.state, deadline: record.deadline, now: Number(timestamp) }
}
