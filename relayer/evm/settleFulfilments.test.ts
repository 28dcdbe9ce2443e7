import { toEventSelector } from 'viem'
import { describe, expect, it } from 'vitest'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import type { Fulfilment } from './Fulfilment.js'
import { type SettleFulfilmentsParameters, settleFulfilments } from './settleFulfilments.js'

const destination = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const worker = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const transactionHash = `0x${'f0'.repeat(32)}`
const id = (byte: string) => `0x${byte.repeat(32)}`
const fulfilment = (requestId: string) => ({ requestId, envelope: {} }) as Fulfilment
const word = (value: number | bigint) => value.toString(16).padStart(64, '0')
const fulfilledTopic = toEventSelector('RequestFulfilled(bytes32,address,uint8,bytes32,bool)')
const rejectedTopic = toEventSelector('FulfillmentRejected(bytes32,uint8)')
const workerTopic = `0x${worker.slice(2).toLowerCase().padStart(64, '0')}`

/** A receipt the consumer wrote: `RequestFulfilled` for `accepted`, `FulfillmentRejected(reason)` for `refused`. */
function receiptWith(
  accepted: string[],
  refused: [string, number][],
  status = '0x1',
): SettleFulfilmentsParameters['receipt'] {
  return {
    status,
    blockNumber: '0x2a',
    logs: [
      ...accepted.map((requestId) => ({
        address: destination,
        topics: [fulfilledTopic, requestId, workerTopic],
        data: `0x${word(0)}${word(7)}${word(1)}`,
      })),
      ...refused.map(([requestId, reason]) => ({
        address: destination,
        topics: [rejectedTopic, requestId],
        data: `0x${word(reason)}`,
      })),
    ],
  }
}

describe('settleFulfilments', () => {
  it('settles each envelope of a batch from its own event', () => {
    const [a, b, c, d] = [id('0a'), id('0b'), id('0c'), id('0d')]
    const results = settleFulfilments({
      receipt: receiptWith(
        [a],
        [
          [b, 6],
          [c, 2],
        ],
      ),
      transactionHash,
      destination,
      fulfilments: [a, b, c, d].map(fulfilment),
    })
    expect(results[0]).toEqual({
      status: 'fulfilled',
      value: {
        outcome: 'fulfilled',
        transactionHash,
        blockNumber: 42,
        method: 'fulfillBatch',
        batchSize: 4,
        worker,
        hookSucceeded: true,
      },
    })
    expect(results[1]!.status).toBe('rejected')
    const refused = (results[1] as PromiseRejectedResult).reason as DeliveryRejectedError
    expect(refused).toBeInstanceOf(DeliveryRejectedError)
    expect(refused).toMatchObject({ reason: 'WorkerNotActive', transactionHash })
    expect(results[2]).toEqual({
      status: 'fulfilled',
      value: { outcome: 'alreadyFulfilled', transactionHash },
    })
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'FULFILMENT_UNACCOUNTED' })
  })

  it('gives the second copy of a request in one batch what the consumer said of it second', () => {
    const a = id('0a')
    const results = settleFulfilments({
      receipt: receiptWith([a], [[a, 2]]),
      transactionHash,
      destination,
      fulfilments: [fulfilment(a), fulfilment(a)],
    })
    expect(results.map((result) => result.status === 'fulfilled' && result.value.outcome)).toEqual([
      'fulfilled',
      'alreadyFulfilled',
    ])
  })

  it('reads one envelope as fulfill, and fails every envelope of a reverted transaction for a retry', () => {
    const a = id('0a')
    const [single] = settleFulfilments({
      receipt: receiptWith([a], []),
      transactionHash,
      destination,
      fulfilments: [fulfilment(a)],
    })
    expect(single).toMatchObject({ status: 'fulfilled', value: { method: 'fulfill', batchSize: 1 } })
    const reverted = settleFulfilments({
      receipt: receiptWith([], [], '0x0'),
      transactionHash,
      destination,
      fulfilments: [fulfilment(a), fulfilment(id('0b'))],
    })
    for (const result of reverted) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'FULFILMENT_REVERTED' })
    }
  })
})
