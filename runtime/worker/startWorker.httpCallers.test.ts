import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Queue, QueueEvents } from 'bullmq'
import { keccak256, toUtf8Bytes } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../bytes.js'
import { createDevProvider } from '../enclave/devProvider.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import { verifyEnvelope } from '../enclave/verifyEnvelope.js'
import { createRedisConnection } from '../queue/createRedisConnection.js'
import { requestJobId } from '../queue/jobIds.js'
import type { RequestJobData, RequestJobResult } from '../queue/jobs.js'
import { openQueueEvents, openRequestQueue } from '../queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../sandbox/index.js'
import { createRedisFunctionStore } from '../store/createRedisFunctionStore.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { startWorker, type TeeWorker } from './startWorker.js'

/**
 * HTTP callers against a real worker (Redis, the sandbox pool, the dev enclave): the HTTP maxima, and each
 * caller's concurrency and CPU-time quotas. Anonymous HTTP calls need no chain.
 */
let redisServer: RedisServer
let connection: Redis
let dir: string
let pool: SandboxPool
let provider: TeeProvider
let store: FunctionStore
let worker: TeeWorker
let requests: Queue<RequestJobData, RequestJobResult>
let events: QueueEvents

const cpuMs = 400

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-http-callers-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.key') })
  // Both threads for HTTP: only the callers' quotas are under test here, not the chain lane's reserve.
  pool = await createSandboxPool({ threads: 2, httpThreads: 2 })
  store = createRedisFunctionStore({ redis: connection })
  worker = startWorker({
    connection,
    pool,
    provider,
    store,
    chains: {},
    // Enough slots for one caller's whole burst: only the quota holds its jobs back.
    concurrency: 8,
    httpConcurrency: 8,
    callerQuotas: { concurrency: 1, cpuMs, windowMs: 60_000 },
    retryPolicy: { baseDelayMs: 100, maxDelayMs: 200, horizonMs: 60_000 },
  })
  // HTTP jobs travel in their own lane, as the API queues them.
  requests = openRequestQueue(connection, { lane: 'http' })
  events = await openQueueEvents(createRedisConnection({ url: redisServer.url }), 'http-requests')
  await events.waitUntilReady()
})

afterAll(async () => {
  await worker?.close()
  await Promise.all([requests?.close(), events?.close()])
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function invoke(
  code: string,
  fields: Partial<RequestJobData> = {},
): Promise<{ result: RequestJobResult; text: string; codeHash: Hex; payload: string }> {
  const { codeHash } = await store.putFunction(code)
  const payload = fields.request ?? ''
  const data: RequestJobData = {
    trigger: 'http',
    chainId: '0',
    destination: `0x${'00'.repeat(20)}`,
    requestId: `0x${randomBytes(32).toString('hex')}`,
    functionId: `0x${'00'.repeat(32)}`,
    codeHash,
    request: payload,
    seenAt: Date.now(),
    ...fields,
  }
  const job = await requests.add('request', data, { jobId: requestJobId(data) })
  const result = (await job.waitUntilFinished(events, 20_000)) as RequestJobResult
  const text = Buffer.from(result.envelope.result.slice(2), 'hex').toString()
  return { result, text, codeHash, payload }
}

/** Waits without burning CPU, and says when it ran. */
const sleeper = `export default async (request) => {
  const started = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 250))
  return request + ' ' + started + ' ' + Date.now()
}`

describe('startWorker: HTTP callers', () => {
  it('runs at most `concurrency` invocations of one caller at once; the others wait their turn, others run', async () => {
    const runs = await Promise.all([
      ...['a1', 'a2', 'a3'].map((request) => invoke(sleeper, { request, caller: 'api-key-alice' })),
      invoke(sleeper, { request: 'b1', caller: '203.0.113.7' }),
    ])
    const spans = runs.map(({ result, text }) => {
      expect(result.status).toBe('OK')
      const [who, started, ended] = text.split(' ')
      return { who: who!, started: Number(started), ended: Number(ended) }
    })
    const alice = spans.filter(({ who }) => who.startsWith('a')).sort((x, y) => x.started - y.started)
    // Alice's runs never overlapped: each started after the one before it ended.
    for (let index = 1; index < alice.length; index++) {
      expect(alice[index]!.started).toBeGreaterThanOrEqual(alice[index - 1]!.ended)
    }
    // Bob was not held back by Alice's queue: his run overlapped one of hers.
    const bob = spans.find(({ who }) => who === 'b1')!
    expect(alice.some(({ started, ended }) => bob.started < ended && started < bob.ended)).toBe(true)
  })

  it('signs RATE_LIMITED once a caller has spent its CPU time, and keeps serving other callers', async () => {
    const spinner =
      'export default () => { const end = Date.now() + 250; while (Date.now() < end) {} return "spun" }'
    const first = await invoke(spinner, { caller: 'greedy' })
    const second = await invoke(spinner, { caller: 'greedy' })
    expect([first.result.status, second.result.status]).toEqual(['OK', 'OK'])
    // Two runs of 250 ms of CPU: past the 400 ms quota.
    const refused = await invoke(spinner, { caller: 'greedy' })
    expect(refused.result.status).toBe('RATE_LIMITED')
    expect(refused.text).toMatch(
      /^This caller used its CPU-time quota \(400 ms per 60000 ms\); retry in \d+ s\.$/,
    )
    expect(refused.text).not.toContain('greedy')
    // Signed like any other answer: the caller can check it came from the worker, for this request.
    const verified = await verifyEnvelope(refused.result.envelope, {
      worker: provider.publicKeys.evmAddress,
      chainId: 0,
      codeHash: refused.codeHash,
      payloadHash: keccak256(toUtf8Bytes(refused.payload)) as Hex,
    })
    expect(verified.envelope.status).toBe('RATE_LIMITED')
    expect((await invoke(spinner, { caller: 'someone else' })).result.status).toBe('OK')
    // Jobs that name no caller have no per-caller quota.
    expect((await invoke(spinner)).result.status).toBe('OK')
  })

  it('holds HTTP jobs to the HTTP maxima, below what chain requests may ask for', async () => {
    const echo = 'export default () => "ran"'
    for (const limits of [{ timeoutMs: 30_000 }, { memoryBytes: 128 * 1024 * 1024 }, { maxFetches: 32 }]) {
      const { result, text } = await invoke(echo, { limits })
      expect(result.status).toBe('INTERNAL_ERROR')
      expect(text).toMatch(
        /^A limit asked for is above what HTTP callers may ask for: (timeoutMs: asked 30000, maximum 15000|memoryBytes: asked 134217728, maximum 67108864|maxFetches: asked 32, maximum 16)\.$/,
      )
    }
    const { result, text } = await invoke(echo, {
      limits: { timeoutMs: 15_000, memoryBytes: 64 * 1024 * 1024 },
    })
    expect([result.status, text]).toEqual(['OK', 'ran'])
  })
})
