import { toEventSelector } from 'viem'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import type { RpcReceipt } from './waitForReceipt.js'

/** What a consumer said about one envelope of a fulfilment. */
export type ConsumerEvent =
  | { name: 'RequestFulfilled'; worker: string; hookSucceeded: boolean }
  | { name: 'FulfillmentRejected'; reason: bigint }

const requestFulfilledTopic = toEventSelector('RequestFulfilled(bytes32,address,uint8,bytes32,bool)')
const fulfillmentRejectedTopic = toEventSelector('FulfillmentRejected(bytes32,uint8)')

/**
 * The `RequestFulfilled` and `FulfillmentRejected` events `consumer` emitted in a receipt, by request id
 * (lowercase), in log order. Decoded by hand (fixed layouts, and the relayer reads one per envelope); logs of
 * other contracts, other events and malformed logs are skipped.
 */
export function decodeConsumerEvents(
  receipt: Pick<RpcReceipt, 'logs'>,
  consumer: string,
): Map<string, ConsumerEvent[]> {
  const byRequest = new Map<string, ConsumerEvent[]>()
  const address = consumer.toLowerCase()
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue
    const event = decodeEvent(log)
    if (!event) continue
    const key = log.topics[1]!.toLowerCase()
    const list = byRequest.get(key) ?? []
    list.push(event)
    byRequest.set(key, list)
  }
  return byRequest
}

function decodeEvent({ topics, data }: { topics: string[]; data: string }): ConsumerEvent | undefined {
  const [topic, requestTopic, workerTopic] = topics
  if (!requestTopic) return undefined
  if (topic === requestFulfilledTopic && workerTopic && data.length >= 2 + 64 * 3) {
    // data: status | resultHash | hookSucceeded
    return {
      name: 'RequestFulfilled',
      worker: checksumAddress(`0x${workerTopic.slice(26)}`),
      hookSucceeded: BigInt(`0x${data.slice(2 + 128, 2 + 192)}`) !== 0n,
    }
  }
  if (topic === fulfillmentRejectedTopic && data.length >= 2 + 64) {
    return { name: 'FulfillmentRejected', reason: BigInt(`0x${data.slice(2, 66)}`) }
  }
  return undefined
}
