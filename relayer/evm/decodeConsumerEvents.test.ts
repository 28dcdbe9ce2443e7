import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { consumerAbi } from './consumerAbi.js'
import { decodeConsumerEvents } from './decodeConsumerEvents.js'

const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const worker = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const word = (byte: string) => `0x${byte.repeat(32)}` as Hex

/** A log as the consumer emits it, encoded with the ABI (an independent encoder). */
function fulfilled(requestId: Hex, hookSucceeded: boolean, address = consumer) {
  const topics = encodeEventTopics({
    abi: consumerAbi(),
    eventName: 'RequestFulfilled',
    args: { requestId, worker },
  }) as string[]
  const data = encodeAbiParameters(
    [{ type: 'uint8' }, { type: 'bytes32' }, { type: 'bool' }],
    [0, word('77'), hookSucceeded],
  )
  return { address, topics, data }
}
function rejected(requestId: Hex, reason: number) {
  const topics = encodeEventTopics({
    abi: consumerAbi(),
    eventName: 'FulfillmentRejected',
    args: { requestId },
  })
  return {
    address: consumer.toLowerCase(),
    topics: topics as string[],
    data: encodeAbiParameters([{ type: 'uint8' }], [reason]),
  }
}

describe('decodeConsumerEvents', () => {
  it('reads RequestFulfilled (worker, hook outcome) and FulfillmentRejected (reason code) by request, in log order', () => {
    const [a, b] = [word('aa'), word('BB')]
    const events = decodeConsumerEvents(
      { logs: [fulfilled(a, true), rejected(b, 6), rejected(a, 2), fulfilled(b, false)] },
      consumer,
    )
    expect(events.get(a)).toEqual([
      { name: 'RequestFulfilled', worker, hookSucceeded: true },
      { name: 'FulfillmentRejected', reason: 2n },
    ])
    expect(events.get(b.toLowerCase())).toEqual([
      { name: 'FulfillmentRejected', reason: 6n },
      { name: 'RequestFulfilled', worker, hookSucceeded: false },
    ])
  })

  it('skips logs of other contracts, other events and malformed ones', () => {
    const id = word('cc')
    const other = fulfilled(id, true, '0x0000000000000000000000000000000000000001')
    const truncated = { ...fulfilled(id, true), data: '0x00' }
    const foreign = { ...rejected(id, 2), topics: [word('99'), id] }
    const anonymous = { ...rejected(id, 2), topics: [] }
    expect(decodeConsumerEvents({ logs: [other, truncated, foreign, anonymous] }, consumer).size).toBe(0)
  })
})
