import type { Hex } from 'viem'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import {
  decodePendingWork,
  decodeQueueBounds,
  encodePendingWork,
  encodeQueueBounds,
} from './phatAttestorCalls.js'

export type ReadPhatWorkParameters = {
  rpc: RpcClient
  /** A `TeefnPhatAttestor`. */
  attestor: string
  /** Blocks a queued message must be under before it is relayed. */
  confirmations: number
  /** Most indexes returned. */
  maxCount: number
}

export type PhatWork = {
  /** Queue indexes to `relay`, in queue order: queued at least `confirmations` blocks deep, not relayed yet. */
  toRelay: number[]
  /** Held answers wait at the anchor's head: `flush` submits them. */
  flushable: boolean
}

/**
 * What a node should send to one Phat attestor now, read from chain state rather than from `MessageQueued`
 * logs: the queue's tail `confirmations` blocks deep (messages a reorg may still take back wait), and what is
 * relayed at the head (a relay just mined is not sent twice). Reading state needs no checkpoint, and it also finds
 * a message whose earlier request expired. One JSON-RPC batch.
 */
export async function readPhatWork({
  rpc,
  attestor,
  confirmations,
  maxCount,
}: ReadPhatWorkParameters): Promise<PhatWork> {
  let confirmed: string = 'latest'
  if (confirmations > 0) {
    const head = Number(await rpc.request<string>('eth_blockNumber'))
    if (head < confirmations) return { toRelay: [], flushable: false }
    confirmed = `0x${(head - confirmations).toString(16)}`
  }
  const [bounds, work] = await rpc.batch<Hex>([
    { method: 'eth_call', params: [{ to: attestor, data: encodeQueueBounds() }, confirmed] },
    { method: 'eth_call', params: [{ to: attestor, data: encodePendingWork(maxCount) }, 'latest'] },
  ])
  if (bounds!.status === 'rejected') throw bounds!.reason
  if (work!.status === 'rejected') throw work!.reason
  const { tail } = decodeQueueBounds(bounds!.value)
  const { toRelay, flushable } = decodePendingWork(work!.value)
  return { toRelay: toRelay.filter((index) => index < tail), flushable }
}
