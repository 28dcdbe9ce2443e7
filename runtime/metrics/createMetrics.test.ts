import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { startHttpServer } from '../../test/support/startHttpServer.js'
import type { Hex } from '../bytes.js'
import { createDevProvider } from '../enclave/devProvider.js'
import { createRedisConnection } from '../queue/createRedisConnection.js'
import { requestJobId } from '../queue/jobIds.js'
import type { RequestJobData, RequestJobResult } from '../queue/jobs.js'
import { openQueueEvents, openRequestQueue } from '../queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../sandbox/index.js'
import { createRedisFunctionStore } from '../store/createRedisFunctionStore.js'
import { startWorker, type TeeWorker } from '../worker/startWorker.js'
import { createMetrics } from './createMetrics.js'

let redisServer: RedisServer
let connection: Redis
let dir: string
let pool: SandboxPool
let worker: TeeWorker | undefined
let requests: Queue<RequestJobData, RequestJobResult>

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-metrics-'))
  pool = await createSandboxPool({ threads: 1 })
  requests = openRequestQueue(connection)
})

afterAll(async () => {
  await worker?.close()
  await requests?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  await rm(dir, { recursive: true, force: true })
})

const sample = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getMetricsAsJSON()).find((metric) => metric.name === name)?.values ?? []

describe('createMetrics', () => {
  it('reports queue depths read from Redis when scraped', async () => {
    const metrics = createMetrics({ processMetrics: false })
    metrics.observeQueue(requests)
    await requests.add('request', { request: 'a' } as RequestJobData, { jobId: 'depth-1' })
    await requests.add('request', { request: 'b' } as RequestJobData, { jobId: 'depth-2' })
    const text = await metrics.registry.metrics()
    expect(text).toContain('teefn_queue_jobs{queue="requests",state="waiting"} 2')
    expect(text).toContain('teefn_queue_jobs{queue="requests",state="failed"} 0')
    await requests.obliterate({ force: true })
    expect(await metrics.registry.metrics()).toContain('teefn_queue_jobs{queue="requests",state="waiting"} 0')
  })

  it("counts a worker's invocations by trigger and status, with durations and fetches", async () => {
    const metrics = createMetrics()
    const provider = await createDevProvider({ keyFile: join(dir, 'worker.key') })
    const store = createRedisFunctionStore({ redis: connection })
    // Hosts a function may reach come from the worker's own configuration, never from a job.
    const peer = await startHttpServer((_request, response) => response.end('pong'))
    worker = startWorker({
      connection,
      pool,
      provider,
      store,
      chains: {},
      metrics,
      allowHosts: [`127.0.0.1:${peer.port}`],
    })
    const events = await openQueueEvents(connection.duplicate(), 'requests', { from: 'start' })
    await events.waitUntilReady()
    const run = async (code: string, requestId: string, extra: Partial<RequestJobData> = {}) => {
      const { codeHash } = await store.putFunction(code)
      const data: RequestJobData = {
        trigger: 'http',
        chainId: '0',
        destination: `0x${'00'.repeat(20)}`,
        requestId: `0x${requestId.repeat(32)}` as Hex,
        functionId: `0x${'00'.repeat(32)}`,
        codeHash,
        request: '',
        seenAt: Date.now(),
        ...extra,
      }
      const job = await requests.add('request', data, { jobId: requestJobId(data) })
      return job.waitUntilFinished(events, 20_000)
    }
    await run('export default () => "fine"', '01')
    await run('export default () => "fine again"', '02')
    await run('export default () => { throw new Error("no") }', '03')
    await run('export default async (url) => (await fetch(url)).text() + (await fetch(url)).text()', '04', {
      request: peer.url,
    })
    await peer.close()
    await events.close()

    const invocations = await sample(metrics, 'teefn_invocations_total')
    expect(invocations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { trigger: 'http', status: 'OK' }, value: 3 }),
        expect.objectContaining({ labels: { trigger: 'http', status: 'FUNCTION_ERROR' }, value: 1 }),
      ]),
    )
    expect(await sample(metrics, 'teefn_function_fetches_total')).toEqual([
      expect.objectContaining({ labels: { trigger: 'http' }, value: 2 }),
    ])
    const text = await metrics.registry.metrics()
    expect(text).toContain('teefn_invocation_duration_seconds_count{trigger="http"} 4')
    expect(text).toContain('teefn_request_latency_seconds_count{trigger="http"} 4')
    expect(text).toContain('teefn_process_cpu_seconds_total')
  })
})
