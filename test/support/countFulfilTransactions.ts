import { id, type JsonRpcProvider } from 'ethers'

/** `RequestFulfilled(bytes32,address,uint8,bytes32,bool)` of every `TeefnConsumer`. */
export const requestFulfilledTopic = id('RequestFulfilled(bytes32,address,uint8,bytes32,bool)')

export type CountFulfilTransactionsParameters = {
  provider: JsonRpcProvider
  /** The consumer the relayer delivers to. */
  destination: string
  /** The relayer's account: only its transactions are counted. */
  relayer: string
  fromBlock: number
  /** The last block (inclusive); the head by default. */
  toBlock?: number | undefined
}

export type FulfilTransactionCount = {
  /** Transactions from the relayer to the consumer, mined in the range (reverted ones included). */
  transactions: number
  /** Of them, the ones that reverted (receipt status 0): gas spent for nothing. */
  reverted: number
  /** Of them, successful ones that fulfilled nothing (every envelope skipped): gas spent for nothing too. */
  wasted: number
  /** Transactions from the relayer to anywhere else (there should be none). */
  elsewhere: number
  /** `RequestFulfilled` events per request id (lowercase), from the successful ones. */
  fulfilments: Map<string, number>
}

/**
 * Counts, from the chain alone, what the relayer paid for: every transaction it sent in a block range, read
 * block by block with its receipt, so reverted transactions (which leave no log) are counted too. The contract
 * refuses a second fulfilment anyway; these numbers show whether a defence upstream of it did its job.
 */
export async function countFulfilTransactions({
  provider,
  destination,
  relayer,
  fromBlock,
  toBlock,
}: CountFulfilTransactionsParameters): Promise<FulfilTransactionCount> {
  const last = toBlock ?? (await provider.getBlockNumber())
  const to = destination.toLowerCase()
  const from = relayer.toLowerCase()
  const count: FulfilTransactionCount = {
    transactions: 0,
    reverted: 0,
    wasted: 0,
    elsewhere: 0,
    fulfilments: new Map(),
  }
  for (let number = fromBlock; number <= last; number++) {
    const block = await provider.getBlock(number, true)
    for (const transaction of block?.prefetchedTransactions ?? []) {
      if (transaction.from.toLowerCase() !== from) continue
      if (transaction.to?.toLowerCase() !== to) {
        count.elsewhere++
        continue
      }
      count.transactions++
      const receipt = await provider.getTransactionReceipt(transaction.hash)
      if (receipt?.status !== 1) {
        count.reverted++
        continue
      }
      const fulfilled = receipt.logs.filter(
        (log) => log.address.toLowerCase() === to && log.topics[0] === requestFulfilledTopic,
      )
      if (fulfilled.length === 0) count.wasted++
      for (const log of fulfilled) {
        const requestId = log.topics[1]!.toLowerCase()
        count.fulfilments.set(requestId, (count.fulfilments.get(requestId) ?? 0) + 1)
      }
    }
  }
  return count
}
