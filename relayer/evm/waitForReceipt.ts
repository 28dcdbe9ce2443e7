import { setTimeout as sleep } from 'node:timers/promises'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { FulfilmentTransactionError } from './FulfilmentTransactionError.js'

/** A receipt as `eth_getTransactionReceipt` returns it (the fields the relayer reads). */
export type RpcReceipt = {
  /** `0x1` success, `0x0` reverted. */
  status: string
  blockNumber: string
  logs: { address: string; topics: string[]; data: string }[]
}

export type WaitForReceiptParameters = {
  rpc: RpcClient
  /** The transaction's hash. */
  hash: string
  /** How long it may take to be mined. */
  timeoutMs: number
  /** Called when it was not mined in time, before the error is thrown (the sender forgets its nonces there). */
  onTimeout?: (() => void) | undefined
}

/**
 * Polls for a transaction's receipt, from 2 ms doubling up to 500 ms apart (not `tx.wait()`, which can hang under
 * automine), and throws `FULFILMENT_NOT_MINED` after `timeoutMs`: the delivery is then retried, and re-checked
 * on-chain first.
 */
export async function waitForReceipt({
  rpc,
  hash,
  timeoutMs,
  onTimeout,
}: WaitForReceiptParameters): Promise<RpcReceipt> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 2; ; delay = Math.min(delay * 2, 500)) {
    const receipt = await rpc.request<RpcReceipt | null>('eth_getTransactionReceipt', [hash])
    if (receipt) return receipt
    if (Date.now() > deadline) {
      onTimeout?.()
      throw new FulfilmentTransactionError('A fulfilment transaction was not mined in time.', {
        code: 'FULFILMENT_NOT_MINED',
        details: `No receipt for ${hash} after ${timeoutMs} ms.`,
        hint: 'Check the node and the relayer account balance; the delivery is retried.',
      })
    }
    await sleep(delay)
  }
}
