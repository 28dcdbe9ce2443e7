import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import type { TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createRequestEnqueuer, type RequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import { createConsumerFilter } from './createConsumerFilter.js'
import { createLogCheckpoint, type LogCheckpoint } from './logCheckpoint.js'
import { type ScanRequestLogsParameters, scanRequestLogs } from './scanRequestLogs.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let connection: Redis
let rpc: RpcClient
let enqueuer: RequestEnqueuer
let requests: Queue<RequestJobData>
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))
beforeAll(() => {
  rpc = createRpcClient({ url: anvil.rpcUrl })
  enqueuer = createRequestEnqueuer({ connection })
  requests = openRequestQueue(connection)
})
afterAll(async () => {
  rpc?.close()
  await enqueuer?.close()
  await requests?.close()
})

const checkpoint = (): LogCheckpoint =>
  createLogCheckpoint({ redis: connection, chainId: String(anvil.chainId) })
const head = () => f.provider.getBlockNumber()
const scan = (parameters: Partial<ScanRequestLogsParameters> = {}) =>
  scanRequestLogs({
    rpc,
    chainId: String(anvil.chainId),
    consumers: [String(f.oracle.target)],
    consumerFilter: createConsumerFilter({ rpc, registry: String(f.registry.target) }),
    confirmations: 0,
    maxBlockRange: 1_000,
    checkpoint: checkpoint(),
    enqueuer,
    ...parameters,
  })
const queuedIds = async () => (await requests.getJobs(['waiting'])).map((job) => job.data.requestId).sort()

describe('scanRequestLogs', () => {
  it('enqueues every request from the checkpoint to the head, range by range, and moves the checkpoint past them', async () => {
    await checkpoint().advance((await head()) + 1)
    const ids = [await f.requestPrice('0x01'), await f.requestPrice('0x02'), await f.requestPrice('0x03')]
    expect(await scan({ maxBlockRange: 1 })).toBe(3)
    expect(await queuedIds()).toEqual(ids.map((id) => id.toLowerCase()).sort())
    expect(await checkpoint().get()).toBe((await head()) + 1)
    expect(await scan()).toBe(0) // nothing new past the checkpoint
  })

  it('stays confirmations blocks behind the head', async () => {
    await checkpoint().advance((await head()) + 1)
    const requestId = (await f.requestPrice('0x04')).toLowerCase()
    const mined = await head()
    expect(await scan({ confirmations: 2 })).toBe(0)
    expect(await checkpoint().get()).toBeLessThanOrEqual(mined)
    await anvil.mine(2)
    expect(await scan({ confirmations: 2 })).toBe(1)
    expect(await queuedIds()).toEqual([requestId])
    expect(await checkpoint().get()).toBe(mined + 1)
  })

  it('ends between ranges when the watcher stops', async () => {
    const from = (await head()) + 1
    await checkpoint().advance(from)
    await f.requestPrice('0x05')
    await f.requestPrice('0x06')
    let asked = 0
    expect(await scan({ maxBlockRange: 1, stopped: () => asked++ > 0 })).toBe(1)
    expect(await checkpoint().get()).toBe(from + 1)
  })

  it('scans from block 0 after Redis lost the checkpoint, adding again the jobs it had added', async () => {
    await checkpoint().advance((await head()) + 1)
    const requestId = (await f.requestPrice('0x07')).toLowerCase()
    await scan()
    await connection.flushdb()
    const found = await scan()
    expect(found).toBeGreaterThanOrEqual(7) // every request of this chain so far
    expect(await queuedIds()).toContain(requestId)
  })
})
