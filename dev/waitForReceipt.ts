import { setTimeout as sleep } from 'node:timers/promises'
import type { JsonRpcProvider, TransactionReceipt } from 'ethers'
import { BaseError } from '../runtime/errors/BaseError.js'

export type WaitForReceiptParameters = {
  /** 10 s by default. */
  timeoutMs?: number | undefined
  /** 25 ms by default. */
  intervalMs?: number | undefined
}

/**
 * Polls `eth_getTransactionReceipt` until the transaction is mined, and returns the receipt whatever its
 * status. Use it instead of ethers' `tx.wait()` against automine: `wait()` can hang for good when the block
 * is mined between its first receipt check and its block poller's first `eth_blockNumber` (that block is
 * taken as already seen, and no later block comes).
 */
export async function waitForReceipt(
  provider: Pick<JsonRpcProvider, 'getTransactionReceipt'>,
  hash: string,
  parameters: WaitForReceiptParameters = {},
): Promise<TransactionReceipt> {
  const deadline = Date.now() + (parameters.timeoutMs ?? 10_000)
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash)
    if (receipt) return receipt
    if (Date.now() > deadline) {
      throw new BaseError('Transaction was not mined in time.', {
        code: 'TX_NOT_MINED',
        details: `No receipt for ${hash} after ${parameters.timeoutMs ?? 10_000} ms.`,
        hint: 'Check that the node mines (automine, --block-time) and that the transaction was accepted.',
      })
    }
    await sleep(parameters.intervalMs ?? 25)
  }
}
