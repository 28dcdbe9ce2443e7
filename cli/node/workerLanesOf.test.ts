import { describe, expect, it } from 'vitest'
import type { NodeConfig } from './nodeConfigSchema.js'
import { workerLanesOf } from './workerLanesOf.js'

const redisUrl = 'redis://127.0.0.1:6379'
const chain = {
  chainId: 1,
  rpcUrl: 'http://127.0.0.1:8545',
  wsUrl: 'ws://127.0.0.1:8545',
  registry: `0x${'ab'.repeat(20)}`,
  consumers: [],
} as unknown as NonNullable<NodeConfig['evm']>[number]

describe('workerLanesOf', () => {
  it('keeps a thread and a slot for chain requests on a node that serves a chain', () => {
    expect(workerLanesOf({ redisUrl, evm: [chain] }, { cores: 4 })).toEqual({
      threads: 4,
      httpThreads: 3,
      concurrency: 4,
      httpConcurrency: 3,
    })
    expect(workerLanesOf({ redisUrl, evm: [chain], worker: { threads: 1 } }, { cores: 4 })).toMatchObject({
      httpThreads: 1,
      httpConcurrency: 1,
    })
  })

  it('gives HTTP everything on a node that serves no chain, and what is configured when it is', () => {
    expect(workerLanesOf({ redisUrl, worker: { threads: 2, concurrency: 16 } }, { cores: 8 })).toEqual({
      threads: 2,
      httpThreads: 2,
      concurrency: 16,
      httpConcurrency: 16,
    })
    const worker = { threads: 8, httpThreads: 2, concurrency: 8, httpConcurrency: 4 }
    expect(workerLanesOf({ redisUrl, evm: [chain], worker }, { cores: 2 })).toEqual(worker)
  })
})
