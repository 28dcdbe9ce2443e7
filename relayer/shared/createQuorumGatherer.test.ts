import type { Redis } from 'ioredis'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { createQuorumEnvelopeStore } from '../../runtime/queue/createQuorumEnvelopeStore.js'
import { quorumEnvelopeKey, quorumRequestRefOf } from '../../runtime/queue/quorumEnvelopeKey.js'
import { signTestEnvelope, useDevWorkers } from '../../test/support/devWorkers.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { createQuorumGatherer, type GatherParameters } from './createQuorumGatherer.js'
import { submitterRank } from './submitterRank.js'

let connection: Redis
useRedisServer({ isolate: true }, (redis) => {
  connection = redis.connection
})

const named = useDevWorkers('a', 'b', 'c')
const workers: TeeProvider[] = []
beforeAll(() => {
  workers.push(named.a, named.b, named.c)
})

let requestCounter = 0
const newRequestId = () => `0x${(++requestCounter).toString(16).padStart(64, '0')}` as Hex
const sign = (worker: TeeProvider, requestId: Hex, result = '3001') =>
  signTestEnvelope(worker, { requestId, result })
const addresses = () => workers.map((worker) => worker.publicKeys.evmAddress)
/** k identical answers; records what was submitted. */
const identical = (
  own: Envelope,
  k: number,
  submitted: Envelope[][],
): GatherParameters<{ outcome: 'fulfilled' }> => ({
  own,
  members: async () => addresses(),
  counts: () => true,
  reached: (held) => {
    const counts = new Map<string, number>()
    for (const item of held) counts.set(item.resultHash, (counts.get(item.resultHash) ?? 0) + 1)
    return Math.max(0, ...counts.values()) >= k
  },
  isOpen: async () => true,
  submit: async (held) => {
    submitted.push([...held])
    return { outcome: 'fulfilled' as const }
  },
})

describe('createQuorumGatherer', () => {
  it("wakes when a peer's answer is stored, and the node ranked first submits at once with every answer", async () => {
    const requestId = newRequestId()
    const [a, b, c] = await Promise.all(workers.map((worker) => sign(worker, requestId)))
    const order = addresses().map((address) => submitterRank(requestId, address, addresses()))
    const first = [a!, b!, c!][order.indexOf(0)]!
    const others = [a!, b!, c!].filter((envelope) => envelope !== first)
    const gatherer = createQuorumGatherer({ connection, peers: [], failoverDelayMs: 60_000, settleMs: 5_000 })
    try {
      const submitted: Envelope[][] = []
      const started = Date.now()
      const gathering = gatherer.gather(identical(first, 2, submitted))
      const store = createQuorumEnvelopeStore({ connection })
      await new Promise((resolve) => setTimeout(resolve, 100))
      for (const envelope of others) await store.add(envelope)
      expect(await gathering).toEqual({ outcome: 'fulfilled', rank: 0 })
      // Neither the settle window nor a failover delay was waited out: every member had answered.
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(submitted).toHaveLength(1)
      expect(submitted[0]!.map((envelope) => envelope.worker).sort()).toEqual(addresses().sort())
    } finally {
      await gatherer.close()
    }
  })

  it('does not count an answer whose signature does not verify (Redis is not trusted)', async () => {
    const requestId = newRequestId()
    const own = await sign(workers[0]!, requestId)
    // Written straight into the node's Redis: the same answer as ours, naming worker b, signed by worker c.
    const byC = await sign(workers[2]!, requestId)
    const forged = { ...byC, worker: workers[1]!.publicKeys.evmAddress }
    await connection.hset(
      quorumEnvelopeKey(quorumRequestRefOf(forged)),
      `${forged.worker}:${forged.codeHash}`.toLowerCase(),
      JSON.stringify(forged),
    )
    const gatherer = createQuorumGatherer({ connection, peers: [], gatherWindowMs: 300 })
    try {
      const submitted: Envelope[][] = []
      expect(await gatherer.gather(identical(own, 2, submitted))).toEqual({ outcome: 'waiting' })
      expect(submitted).toEqual([])
    } finally {
      await gatherer.close()
    }
  })

  it('leaves a member that stays silent out of the order: the others do not wait a failover delay for it', async () => {
    const requestId = newRequestId()
    const envelopes = await Promise.all(workers.map((worker) => sign(worker, requestId)))
    // The member ranked first among all three never answers; of the two that do, the first submits.
    const silent = addresses().findIndex((address) => submitterRank(requestId, address, addresses()) === 0)
    const answering = envelopes.filter((_, index) => index !== silent)
    const ranks = answering.map((envelope) =>
      submitterRank(
        requestId,
        envelope.worker,
        answering.map((item) => item.worker),
      ),
    )
    const submitter = answering[ranks.indexOf(0)]!
    const store = createQuorumEnvelopeStore({ connection })
    for (const envelope of answering) await store.add(envelope)
    const gatherer = createQuorumGatherer({ connection, peers: [], failoverDelayMs: 60_000, settleMs: 200 })
    try {
      const submitted: Envelope[][] = []
      const started = Date.now()
      expect(await gatherer.gather(identical(submitter, 2, submitted))).toEqual({
        outcome: 'fulfilled',
        rank: 0,
      })
      expect(Date.now() - started).toBeGreaterThanOrEqual(190) // the settle window, for the silent one
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(submitted[0]).toHaveLength(2)
    } finally {
      await gatherer.close()
    }
  })

  it('the next node waits its failover delay and stops when the request was answered meanwhile', async () => {
    const requestId = newRequestId()
    const envelopes = await Promise.all(workers.map((worker) => sign(worker, requestId)))
    const second = envelopes.find((envelope) => submitterRank(requestId, envelope.worker, addresses()) === 1)!
    const store = createQuorumEnvelopeStore({ connection })
    for (const envelope of envelopes) await store.add(envelope)
    const gatherer = createQuorumGatherer({ connection, peers: [], failoverDelayMs: 400, openCheckMs: 50 })
    try {
      const submitted: Envelope[][] = []
      let open = true
      setTimeout(() => {
        open = false
      }, 200)
      const parameters = { ...identical(second, 2, submitted), isOpen: async () => open }
      expect(await gatherer.gather(parameters)).toEqual({ outcome: 'alreadyFulfilled', rank: 1 })
      expect(submitted).toEqual([])
    } finally {
      await gatherer.close()
    }
  })
})
