import { Queue, QueueEvents, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { createJobWaiter, type JobWaiter } from './createJobWaiter.js'

let redisServer: RedisServer
let connection: Redis
let queue: Queue
let events: QueueEvents
let worker: Worker
let waiter: JobWaiter

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  queue = new Queue('waits', { connection })
  events = new QueueEvents('waits', { connection: connection.duplicate() })
  await events.waitUntilReady()
  waiter = createJobWaiter(events)
  // A real BullMQ worker whose jobs say what to do: answer, throw, or take their time.
  worker = new Worker(
    'waits',
    async (job) => {
      if (job.data.fail) throw new Error(`failed on purpose\nsecond line`)
      if (job.data.slowMs) await new Promise((resolve) => setTimeout(resolve, job.data.slowMs))
      return { status: 'OK', answer: job.data.answer }
    },
    { connection, concurrency: 4 },
  )
})

afterAll(async () => {
  await worker?.close()
  await events?.close()
  await queue?.close()
  connection?.disconnect()
  await redisServer?.stop()
})

describe('createJobWaiter', () => {
  it("resolves with each job's own return value, many waits sharing one event stream", async () => {
    const waits = Array.from({ length: 20 }, (_, i) => {
      const done = waiter.wait(`ok-${i}`, 20_000)
      return queue.add('job', { answer: i }, { jobId: `ok-${i}` }).then(() => done)
    })
    const outcomes = await Promise.all(waits)
    expect(outcomes.map((outcome) => outcome.state === 'completed' && outcome.result)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ status: 'OK', answer: i })),
    )
    expect(waiter.waiting).toBe(0)
  })

  it('resolves failed when the job fails for good, and pending at the deadline', async () => {
    const failed = waiter.wait('fails', 20_000)
    await queue.add('job', { fail: true }, { jobId: 'fails', attempts: 1 })
    expect(await failed).toEqual({ state: 'failed', failedReason: 'failed on purpose\nsecond line' })

    const slow = waiter.wait('slow', 50)
    await queue.add('job', { slowMs: 1_000 }, { jobId: 'slow' })
    expect(await slow).toEqual({ state: 'pending' })
    expect(waiter.waiting).toBe(0)
  })

  it('answers pending at once on cancel and on releaseAll (shutdown)', async () => {
    const cancelled = waiter.wait('never-added', 60_000)
    waiter.cancel('never-added')
    expect(await cancelled).toEqual({ state: 'pending' })
    const held = [waiter.wait('held-1', 60_000), waiter.wait('held-2', 60_000)]
    expect(waiter.waiting).toBe(2)
    waiter.releaseAll()
    expect(await Promise.all(held)).toEqual([{ state: 'pending' }, { state: 'pending' }])
  })

  it('listens to several streams (both request lanes): a job is answered in whichever it ran', async () => {
    const other = new Queue('waits-other', { connection })
    const otherEvents = new QueueEvents('waits-other', { connection: connection.duplicate() })
    const otherWorker = new Worker(
      'waits-other',
      async (job) => ({ lane: 'other', answer: job.data.answer }),
      {
        connection,
      },
    )
    try {
      await otherEvents.waitUntilReady()
      const both = createJobWaiter([events, otherEvents])
      const here = both.wait('lane-here', 20_000)
      const there = both.wait('lane-there', 20_000)
      await queue.add('job', { answer: 1 }, { jobId: 'lane-here' })
      await other.add('job', { answer: 2 }, { jobId: 'lane-there' })
      expect(await here).toEqual({ state: 'completed', result: { status: 'OK', answer: 1 } })
      expect(await there).toEqual({ state: 'completed', result: { lane: 'other', answer: 2 } })
    } finally {
      await otherWorker.close()
      await otherEvents.close()
      await other.close()
    }
  })
})
