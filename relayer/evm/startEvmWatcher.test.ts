import { setTimeout as sleep } from 'node:timers/promises'
import type { Queue } from 'bullmq'
import { hexlify, toUtf8Bytes } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { requestSentTopic } from '../../runtime/chain/evm/requestSentLog.js'
import { createLogger } from '../../runtime/logging/createLogger.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { startEvmWsProxy } from '../../test/support/startEvmWsProxy.js'
import {
  deployForgedRequestEmitter,
  deployTeefnContracts,
  deployTestConsumer,
  mined,
  type TeefnContractsFixture,
} from '../../test/support/teefnContracts.js'
import { type EvmWatcher, type StartEvmWatcherParameters, startEvmWatcher } from './startEvmWatcher.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let redisServer: RedisServer
let connection: Redis
let requests: Queue<RequestJobData>
const watchers: EvmWatcher[] = []
const logger = createLogger({ name: 'relayer-evm-test', level: 'silent' })

beforeAll(async () => {
  ;[anvil, redisServer] = await Promise.all([startAnvil(), startRedisServer()])
  f = await deployTeefnContracts(anvil)
  connection = createRedisConnection({ url: redisServer.url })
  requests = openRequestQueue(connection)
})

afterAll(async () => {
  await requests?.close()
  connection?.disconnect()
  f?.destroy()
  await Promise.all([anvil?.stop(), redisServer?.stop()])
})

beforeEach(async () => {
  await connection.flushdb()
})

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((watcher) => watcher.stop()))
})

const watch = async (parameters: Partial<StartEvmWatcherParameters> = {}) => {
  const watcher = await startEvmWatcher({
    connection,
    chainId: anvil.chainId,
    rpcUrl: anvil.rpcUrl,
    wsUrl: anvil.wsUrl,
    registry: String(f.registry.target),
    consumers: [String(f.oracle.target)],
    pollIntervalMs: 200,
    heartbeatIntervalMs: 300,
    heartbeatTimeoutMs: 1_000,
    logger,
    ...parameters,
  })
  watchers.push(watcher)
  return watcher
}

const allJobs = () => requests.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'])

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** Asks for a price, retrying while the node restarts (the HTTP keep-alive socket dies with it). */
async function requestPrice(payload: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f.requestPrice(payload)
    } catch (error) {
      if (attempt >= 20) throw error
      await sleep(100)
    }
  }
}

const payloadOf = (text: string) => hexlify(toUtf8Bytes(text))

describe('startEvmWatcher', () => {
  it('enqueues each request once with its chain data, though the subscription and the backfill both see it', async () => {
    const watcher = await watch()
    await until('the WebSocket', () => watcher.stats().connections === 1)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await requestPrice(payloadOf(`{"n":${i}}`)))

    await until('both paths to see every request', () => {
      const stats = watcher.stats()
      return stats.fromSubscription >= 5 && stats.fromBackfill >= 5
    })
    await watcher.scan()
    const jobs = await allJobs()
    expect(jobs).toHaveLength(5)
    const byRequest = new Map(jobs.map((job) => [job.data.requestId, job]))
    for (const [i, requestId] of ids.entries()) {
      const job = byRequest.get(requestId.toLowerCase() as `0x${string}`)
      expect(job?.data).toMatchObject({
        trigger: 'evm',
        chainId: String(anvil.chainId),
        destination: String(f.oracle.target),
        functionId: f.functionId.toLowerCase(),
        request: payloadOf(`{"n":${i}}`),
        sender: f.oracleOwner.address,
      })
      expect(job?.id).toBe(requestJobId(job!.data))
      expect(job?.data.origin?.blockNumber).toBeGreaterThan(0)
    }
    // The checkpoint is persisted: it stands after the head once the scan is done.
    const head = await f.provider.getBlockNumber()
    expect(await watcher.checkpoint.get()).toBe(head + 1)
    expect(await connection.get(watcher.checkpoint.key)).toBe(String(head + 1))

    // Another watcher that scans the whole chain again (its own checkpoint) adds nothing: Redis dedupes by job id.
    const again = await watch({ wsUrl: undefined, startBlock: 0, checkpointKey: 'teefn:test:rescan' })
    await again.scan()
    expect(again.stats().fromBackfill).toBeGreaterThanOrEqual(5)
    expect(await allJobs()).toHaveLength(5)
  })

  it('waits for the configured confirmations, and its checkpoint never passes head - N', async () => {
    // From the next block on: with confirmations, `latest` would also take the last N blocks of earlier tests.
    const watcher = await watch({ confirmations: 3, startBlock: (await f.provider.getBlockNumber()) + 1 })
    await until('the WebSocket', () => watcher.stats().connections === 1)
    const requestId = (await requestPrice('0x01')).toLowerCase()
    const mined = await f.provider.getBlockNumber()

    await anvil.mine(2)
    await watcher.scan()
    expect(await allJobs()).toHaveLength(0)
    expect(await watcher.checkpoint.get()).toBeLessThanOrEqual(mined)
    expect(watcher.stats().fromSubscription).toBe(0)

    await anvil.mine(1) // the request is now 3 blocks deep
    const jobs = await until('the confirmed request', async () => {
      const found = await allJobs()
      return found.length > 0 ? found : undefined
    })
    expect(jobs.map((job) => job.data.requestId)).toEqual([requestId])
    expect(await watcher.checkpoint.get()).toBe(mined + 1)
  })

  it('resumes from the checkpoint after a restart and catches what was mined meanwhile', async () => {
    const first = await watch()
    await until('the WebSocket', () => first.stats().connections === 1)
    const before = await requestPrice('0x0a')
    await until('the first job', async () => ((await allJobs()).length === 1 ? true : undefined))
    await first.scan()
    await first.stop()
    watchers.splice(watchers.indexOf(first), 1)

    const whileDown = [await requestPrice('0x0b'), await requestPrice('0x0c'), await requestPrice('0x0d')]
    // No WebSocket this time: the polling backfill alone must find them.
    const second = await watch({ wsUrl: undefined, startBlock: 'latest' })
    const jobs = await until('the missed requests', async () => {
      const found = await allJobs()
      return found.length >= 4 ? found : undefined
    })
    expect(new Set(jobs.map((job) => job.data.requestId))).toEqual(
      new Set([before, ...whileDown].map((requestId) => requestId.toLowerCase())),
    )
    await second.scan()
    expect(await allJobs()).toHaveLength(4)
  })

  it('loses no request and doubles none when the node restarts mid-stream', async () => {
    const watcher = await watch()
    await until('the WebSocket', () => watcher.stats().connections === 1)
    const firstBlock = (await f.provider.getBlockNumber()) + 1
    const ids: string[] = []
    const sending = (async () => {
      for (let i = 0; i < 12; i++) {
        ids.push(await requestPrice(payloadOf(`${i}`)))
        await sleep(30)
      }
    })()
    await until('some requests', () => ids.length >= 4)
    await anvil.restart({ downtimeMs: 300 })
    await sending

    await until('a new WebSocket', () => watcher.stats().connections >= 2)
    // A request after the reconnect arrives live on the new subscription.
    const subscribed = watcher.stats().fromSubscription
    ids.push(await requestPrice('0xff'))
    await until('the live request', () => watcher.stats().fromSubscription > subscribed)

    const jobs = await until('every request', async () => {
      const found = await allJobs()
      return found.length >= ids.length ? found : undefined
    })
    await watcher.scan()
    // The chain is the truth: a send retried across the restart may have gone through twice.
    const onChain = (
      await f.provider.getLogs({
        address: f.oracle.target,
        topics: [requestSentTopic],
        fromBlock: firstBlock,
      })
    ).map((log) => log.topics[1]!.toLowerCase())
    const again = await allJobs()
    expect(again).toHaveLength(onChain.length)
    expect(new Set(jobs.map((job) => job.data.requestId))).toEqual(new Set(onChain))
    for (const requestId of ids) expect(onChain).toContain(requestId.toLowerCase())
  })

  it('cancels a waiting request when the node announces its log as removed (a reorg took it back)', async () => {
    // anvil does not announce removed logs; the proxy does, after a real reorg on anvil, as geth does.
    const node = await startEvmWsProxy(anvil.wsUrl)
    try {
      const watcher = await watch({ wsUrl: node.url })
      await until('the WebSocket', () => watcher.stats().connections === 1)
      const kept = await requestPrice('0x01')
      const dropped = await f.sendPriceRequest('0x02')
      await until('both jobs', async () => ((await allJobs()).length === 2 ? true : undefined))

      await anvil.rpc('anvil_reorg', [1, []])
      expect(node.announceRemoved({ fromBlock: dropped.receipt.blockNumber })).toBe(1)
      await until('the cancellation', () => (watcher.stats().cancelled === 1 ? true : undefined))
      expect((await allJobs()).map((job) => job.data.requestId)).toEqual([kept.toLowerCase()])
    } finally {
      await node.close()
    }
  })

  it('enqueues again the requests whose jobs a Redis data loss took', async () => {
    const watcher = await watch()
    await until('the WebSocket', () => watcher.stats().connections === 1)
    const requestId = await requestPrice('0x03')
    await until('the job', async () => ((await allJobs()).length === 1 ? true : undefined))
    await connection.flushall() // jobs and checkpoint gone
    await watcher.scan()
    // Without a checkpoint the scan starts at block 0, so earlier tests' requests come back too.
    expect((await allJobs()).map((job) => job.data.requestId)).toContain(requestId.toLowerCase())
  })

  it('replaces a socket whose node hangs (no close event: the heartbeat finds it)', async () => {
    const watcher = await watch()
    await until('the WebSocket', () => watcher.stats().connections === 1)
    await anvil.freeze()
    await sleep(1_500) // past the heartbeat timeout
    await anvil.thaw()
    await until('a new WebSocket', () => watcher.stats().connections >= 2)
    const requestId = await requestPrice('0x02')
    await until('the live request', () => watcher.stats().fromSubscription >= 1)
    const jobs = await until('the job', async () => {
      const found = await allJobs()
      return found.length > 0 ? found : undefined
    })
    expect(jobs.map((job) => job.data.requestId)).toEqual([requestId.toLowerCase()])
  })
})

describe('startEvmWatcher without a consumer list', () => {
  it('serves every registered consumer, one deployed after it started included, and ignores the rest', async () => {
    const watcher = await watch({ consumers: undefined })
    await until('the WebSocket', () => watcher.stats().connections === 1)
    const registry = String(f.registry.target)
    const late = await deployTestConsumer(f.admin, { registry })
    const forger = await deployForgedRequestEmitter(f.stranger)
    await mined(late.request(f.functionId, '0x0a'))
    await mined(forger.request(f.functionId, '0x0b'))
    const oracleId = (await requestPrice('0x0c')).toLowerCase()

    await until('the late consumer and the oracle', async () => (await allJobs()).length >= 2)
    await until('the forged log to be counted', () => watcher.stats().ignoredUnregistered >= 1)
    await watcher.scan()
    const jobs = await allJobs()
    expect(jobs.map((job) => job.data.destination).sort()).toEqual(
      [String(late.target), String(f.oracle.target)].sort(),
    )
    expect(jobs.map((job) => job.data.requestId)).toContain(oracleId)
    // Seen by both paths, ignored by both: never a job.
    expect(watcher.stats().ignoredUnregistered).toBeGreaterThanOrEqual(2)
    expect(jobs.some((job) => job.data.destination === String(forger.target))).toBe(false)
  })

  it('ignores a denied consumer, registered or not, and counts it', async () => {
    const registry = String(f.registry.target)
    const denied = await deployTestConsumer(f.admin, { registry })
    const watcher = await watch({ consumers: undefined, denyConsumers: [String(denied.target)] })
    await until('the WebSocket', () => watcher.stats().connections === 1)
    await mined(denied.request(f.functionId, '0x0d'))
    await requestPrice('0x0e')
    await until('the oracle request', async () => (await allJobs()).length >= 1)
    await watcher.scan()
    expect((await allJobs()).map((job) => job.data.destination)).toEqual([String(f.oracle.target)])
    expect(watcher.stats().ignoredDenied).toBeGreaterThanOrEqual(1)
    expect(watcher.stats().ignoredUnregistered).toBe(0)
  })
})
