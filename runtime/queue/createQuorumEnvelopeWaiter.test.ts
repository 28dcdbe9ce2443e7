import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { createQuorumEnvelopeWaiter } from './createQuorumEnvelopeWaiter.js'
import { type QuorumRequestRef, quorumEnvelopeChannel } from './quorumEnvelopeKey.js'

let connection: Redis
useRedisServer({ isolate: true }, (redis) => {
  connection = redis.connection
})

const ref: QuorumRequestRef = {
  chainId: '31337',
  consumer: `0x${'11'.repeat(20)}`,
  requestId: `0x${'ab'.repeat(32)}`,
}
const other: QuorumRequestRef = { ...ref, requestId: `0x${'cd'.repeat(32)}` }
const announce = (to: QuorumRequestRef) => connection.publish(quorumEnvelopeChannel(to), 'signer:code')
const subscribers = async (to: QuorumRequestRef) =>
  ((await connection.pubsub('NUMSUB', quorumEnvelopeChannel(to))) as [string, number])[1]

describe('createQuorumEnvelopeWaiter', () => {
  it("wakes on its request's announcement, keeps one heard before it waits, and ignores other requests", async () => {
    const waiter = createQuorumEnvelopeWaiter(connection)
    try {
      const watch = await waiter.watch(ref)
      const started = Date.now()
      const woken = watch.next(5_000)
      await announce(other)
      await announce(ref)
      expect(await woken).toBe(true)
      expect(Date.now() - started).toBeLessThan(2_000)

      await announce(ref) // heard while nobody waits: the next wait returns at once
      await connection.ping()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(await watch.next(5_000)).toBe(true)
      await announce(other)
      expect(await watch.next(100)).toBe(false)
      await watch.close()
    } finally {
      await waiter.close()
    }
  })

  it('shares one subscription per request and unsubscribes when the last watch closes', async () => {
    const waiter = createQuorumEnvelopeWaiter(connection)
    try {
      const first = await waiter.watch(ref)
      const second = await waiter.watch(ref)
      expect(await subscribers(ref)).toBe(1)
      const both = Promise.all([first.next(5_000), second.next(5_000)])
      await announce(ref)
      expect(await both).toEqual([true, true])
      await first.close()
      expect(await subscribers(ref)).toBe(1)
      await second.close()
      expect(await subscribers(ref)).toBe(0)
    } finally {
      await waiter.close()
    }
  })

  it('ends pending waits when closed', async () => {
    const waiter = createQuorumEnvelopeWaiter(connection)
    const watch = await waiter.watch(ref)
    const pending = watch.next(60_000)
    await waiter.close()
    expect(await pending).toBe(false)
    await expect(waiter.watch(ref)).rejects.toThrow(/closed/)
  })
})
