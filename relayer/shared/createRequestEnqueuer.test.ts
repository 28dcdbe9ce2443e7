import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer } from '../../dev/startRedisServer.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { createRequestEnqueuer } from './createRequestEnqueuer.js'

let connection: Redis
let requests: Queue<RequestJobData>
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))
beforeAll(() => {
  requests = openRequestQueue(connection)
})
afterAll(async () => {
  await requests?.close()
})

const requestOf = (n: number): RequestJobData => ({
  trigger: 'evm',
  chainId: '31337',
  destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  requestId: `0x${n.toString(16).padStart(64, '0')}`,
  functionId: `0x${'0f'.repeat(32)}`,
  request: '0x',
  seenAt: n,
})
const jobIds = async () => (await requests.getJobs(['waiting'])).map((job) => job.id).sort()

describe('createRequestEnqueuer', () => {
  it('adds a job per request with its job id, and skips the ids it added lately', async () => {
    const enqueuer = createRequestEnqueuer({ connection })
    try {
      expect(await enqueuer.add([requestOf(1), requestOf(2)])).toBe(2)
      expect(await enqueuer.add([requestOf(2), requestOf(3)])).toBe(1)
      expect(await jobIds()).toEqual([1, 2, 3].map((n) => requestJobId(requestOf(n))).sort())
      expect((await requests.getJob(requestJobId(requestOf(3))))?.data).toEqual(requestOf(3))
    } finally {
      await enqueuer.close()
    }
  })

  it('adds again what Redis lost once told to forget, and a second enqueuer adds nothing twice', async () => {
    const enqueuer = createRequestEnqueuer({ connection })
    const other = createRequestEnqueuer({ connection, recentLimit: 1 })
    try {
      await enqueuer.add([requestOf(1)])
      await connection.flushdb()
      expect(await enqueuer.add([requestOf(1)])).toBe(0)
      enqueuer.forget()
      expect(await enqueuer.add([requestOf(1)])).toBe(1)
      // Another watcher (its own memory) sends the same request: Redis keeps one job.
      expect(await other.add([requestOf(1), requestOf(2)])).toBe(2)
      expect(await jobIds()).toHaveLength(2)
    } finally {
      await Promise.all([enqueuer.close(), other.close()])
    }
  })

  it('removes a waiting job, and adds it again when the request comes back', async () => {
    const enqueuer = createRequestEnqueuer({ connection })
    try {
      await enqueuer.add([requestOf(7)])
      expect(await enqueuer.remove(requestOf(7))).toBe(true)
      expect(await jobIds()).toEqual([])
      expect(await enqueuer.add([requestOf(7)])).toBe(1)
    } finally {
      await enqueuer.close()
    }
  })

  it('adds again what a Redis that came back without its last writes lost, once it reconnected', async () => {
    const server = await startRedisServer({ appendOnly: true })
    const own = createRedisConnection({ url: server.url })
    own.on('error', () => {})
    const enqueuer = createRequestEnqueuer({ connection: own })
    const queue = openRequestQueue(own)
    try {
      const copy = await server.copyData()
      expect(await enqueuer.add([requestOf(1)])).toBe(1)
      await server.restart({ from: copy }) // the job's write is lost; the enqueuer still remembers it
      expect(await queue.getJob(requestJobId(requestOf(1)))).toBeUndefined()
      expect(await enqueuer.add([requestOf(1)])).toBe(1)
      expect((await queue.getJob(requestJobId(requestOf(1))))?.data).toEqual(requestOf(1))
    } finally {
      await queue.close()
      await enqueuer.close()
      own.disconnect()
      await server.stop()
    }
  })
})
