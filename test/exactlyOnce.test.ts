import { setTimeout as sleep } from 'node:timers/promises'
import { hexlify, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisDataCopy } from '../dev/startRedisServer.js'
import { countFulfilTransactions, requestFulfilledTopic } from './support/countFulfilTransactions.js'
import { until } from './support/stackChecks.js'
import { type RunCounter, startRunCounter } from './support/startRunCounter.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'
import { startTcpProxy, type TcpProxy } from './support/tcpProxy.js'

// Exactly once, proved by counting rather than by the consumer's refusal (which would hide a second run or a
// wasted transaction): for every request, the runs of its function (each run reports to a local counter), the
// fulfil transactions the relayer paid for (every block scanned, reverted ones included) and the fulfilments on
// the chain. A plain loop, then the same loop while Redis crashes (SIGKILL, AOF on) and while the node's RPC is
// cut for 6 s (a TCP proxy between the whole node and anvil). Two defences keep a request to one run, each enough
// alone: the watcher's job id per request (a request seen by the subscription and again by a scan is one job),
// and the worker's read that the request is still pending before it runs it; with both off, the plain loop counts
// 40 runs for 20 requests. Two more keep it to one transaction: the delivery's job id per request, and the
// submitter's execution before it sends (a refused envelope costs no transaction); with all four off, 4 reverted
// and 6 wasted transactions.

let stack: TeefnStack
let counter: RunCounter
// Everything the node says to anvil (watcher HTTP and WebSocket, submitter, worker reads) passes through it.
let rpcProxy: TcpProxy

beforeAll(async () => {
  counter = await startRunCounter()
  stack = await startTeefnStack({
    allowHosts: [counter.host],
    redis: { appendOnly: true },
    rpc: async (chain) => {
      rpcProxy = await startTcpProxy(chain.anvil.port)
      return { rpcUrls: [`http://127.0.0.1:${rpcProxy.port}`], rpcQuorum: 1 }
    },
    relayer: async () => ({
      rpcUrl: `http://127.0.0.1:${rpcProxy.port}`,
      wsUrl: `ws://127.0.0.1:${rpcProxy.port}`,
    }),
  })
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await rpcProxy?.close()
  await counter?.close()
})

type LoopCount = Awaited<ReturnType<typeof countFulfilTransactions>> & {
  requestIds: string[]
  payloads: string[]
  runs: number
}

/**
 * Sends `count` requests for a fresh function `label`, one every `intervalMs`, calling `during` concurrently
 * (the fault), waits until every request is fulfilled and the queues are quiet, and counts.
 */
async function loop(
  label: string,
  count: number,
  during: (requestIds: readonly string[]) => Promise<void> = async () => {},
  before: () => Promise<void> = async () => {},
) {
  const chain = stack.chains[0]!
  const { functionId } = await stack.register(counter.functionCode(label), label)
  const fromBlock = (await chain.f.provider.getBlockNumber()) + 1
  const payloads = Array.from({ length: count }, (_, i) => hexlify(toUtf8Bytes(`${label} ${i}`)))
  const requestIds: string[] = []
  await before()
  const fault = during(requestIds)
  for (const payload of payloads) {
    requestIds.push((await stack.request(functionId, payload)).requestId.toLowerCase())
    await sleep(150)
  }
  await fault
  await until(
    `all ${count} requests of ${label} to be fulfilled`,
    async () => {
      const logs = await chain.f.provider.getLogs({
        address: chain.consumerAddress,
        topics: [requestFulfilledTopic],
        fromBlock,
      })
      const fulfilled = new Set(logs.map((log) => log.topics[1]!.toLowerCase()))
      return requestIds.every((requestId) => fulfilled.has(requestId))
    },
    90_000,
  )
  // Quiet: nothing waiting, running or retrying in either queue (a second delivery would be sent from there).
  await until('the queues to be quiet', async () => {
    const counts = await Promise.all(
      [stack.requests, chain.deliveries].map((queue) => queue.getJobCounts('waiting', 'active', 'delayed')),
    )
    return counts.every((entry) => Object.values(entry).every((jobs) => jobs === 0))
  })
  await sleep(1_000)
  const transactions = await countFulfilTransactions({
    provider: chain.f.provider,
    destination: chain.consumerAddress,
    relayer: chain.f.relayer.address,
    fromBlock,
  })
  return { ...transactions, requestIds, payloads, runs: counter.runs(label) } satisfies LoopCount
}

/**
 * What every loop must show, fault or not: one run and one fulfilment per request, no gas spent for nothing. One
 * comparison, so a failure shows every count that is off.
 */
function expectExactlyOnce(count: LoopCount, label: string) {
  const requests = count.requestIds.length
  expect({
    runs: count.runs,
    requestsNotRunOnce: count.payloads.filter((payload) => counter.runs(label, payload) !== 1).length,
    requestsNotFulfilledOnce: count.requestIds.filter((requestId) => count.fulfilments.get(requestId) !== 1)
      .length,
    fulfilledRequests: count.fulfilments.size,
    revertedTransactions: count.reverted,
    wastedTransactions: count.wasted,
    transactionsElsewhere: count.elsewhere,
  }).toEqual({
    runs: requests,
    requestsNotRunOnce: 0,
    requestsNotFulfilledOnce: 0,
    fulfilledRequests: requests,
    revertedTransactions: 0,
    wastedTransactions: 0,
    transactionsElsewhere: 0,
  })
  // Batching may put several fulfilments in one transaction, never one fulfilment in two.
  expect(count.transactions).toBeGreaterThan(0)
  expect(count.transactions).toBeLessThanOrEqual(requests)
}

describe('exactly once, counted', () => {
  it('runs each of N requests once and fulfils it once, without a reverted or wasted transaction', async () => {
    const count = await loop('plain', 20)
    expectExactlyOnce(count, 'plain')
  }, 120_000)

  it('still does when Redis crashes (SIGKILL, AOF on) and comes back 1.5 s later in the middle of the loop', async () => {
    const pid = stack.redis.pid
    const count = await loop('redis-crash', 20, async () => {
      await sleep(1_000)
      await stack.redis.restart({ signal: 'SIGKILL', downtimeMs: 1_500 })
    })
    expect(stack.redis.pid).not.toBe(pid)
    expectExactlyOnce(count, 'redis-crash')
  }, 150_000)

  it('still does when Redis comes back without its last writes (a stale AOF), request jobs among them', async () => {
    // A power loss under `appendfsync everysec`, or a failover to a lagging replica: the jobs of the last
    // requests are gone, while the watcher that added them is still running (and remembers having added them).
    const worker = stack.node.worker!.worker
    let copy: RedisDataCopy | undefined
    const count = await loop(
      'redis-stale',
      5,
      async (requestIds) => {
        const jobIds = () => requestIds.map((requestId) => stack.jobIdOf(requestId))
        await until('the 5 request jobs to be in Redis', async () => {
          if (requestIds.length < 5) return false
          const jobs = await Promise.all(jobIds().map((jobId) => stack.requests.getJob(jobId)))
          return jobs.every(Boolean)
        })
        const restartedAt = Date.now()
        await stack.redis.restart({ from: copy })
        // Lost with the writes after the copy: any of them here now is the watcher's re-enqueue, made since.
        const jobs = await Promise.all(jobIds().map((jobId) => stack.requests.getJob(jobId)))
        expect(jobs.filter((job) => job && job.timestamp < restartedAt)).toHaveLength(0)
        worker.resume()
      },
      async () => {
        await worker.pause() // the jobs wait in Redis, unrun, for the loss
        copy = await stack.redis.copyData()
      },
    )
    expectExactlyOnce(count, 'redis-stale')
  }, 150_000)

  it('still does when the node loses its RPC for 6 s in the middle of the loop', async () => {
    const count = await loop('rpc-cut', 20, async () => {
      await sleep(1_000)
      await rpcProxy.drop()
      await sleep(6_000)
      await rpcProxy.restore()
    })
    expectExactlyOnce(count, 'rpc-cut')
  }, 150_000)
})
