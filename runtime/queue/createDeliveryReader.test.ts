import { UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { createDeliveryReader } from './createDeliveryReader.js'
import { createRedisConnection } from './createRedisConnection.js'
import type { DeliveryJobData } from './jobs.js'
import { openDeliveryQueue, startQueueWorker } from './queues.js'

let redis: RedisServer
let connection: Redis
const chain = { family: 'evm' as const, chainId: '31337' }
const request = { trigger: 'evm' as const, chainId: '31337' }

beforeAll(async () => {
  redis = await startRedisServer()
  connection = createRedisConnection({ url: redis.url })
})

afterAll(async () => {
  connection.disconnect()
  await redis.stop()
})

describe('createDeliveryReader', () => {
  it('tells queued, delivered, already delivered, rerun and refused apart, from the submitter results', async () => {
    const queue = openDeliveryQueue(connection, chain)
    const data = {} as DeliveryJobData
    const results: Record<string, unknown> = {
      delivered: { outcome: 'fulfilled', transactionHash: '0xaa', blockNumber: 7 },
      already: { outcome: 'alreadyFulfilled', transactionHash: '0xbb' },
      rerun: { outcome: 'rerun', reason: 'CodeHashMismatch', run: 2 },
    }
    // A submitter stand-in: answers each job by its id, refuses one for good.
    const submitter = startQueueWorker({
      queue: chain,
      connection: connection.duplicate(),
      concurrency: 1,
      process: async (job) => {
        if (job.id === 'refused')
          throw new UnrecoverableError('RequestExpired: the consumer refused it\nstack')
        return results[job.id!]
      },
    })
    const settled = new Promise<void>((resolve) => {
      let left = 4
      const one = () => --left === 0 && resolve()
      submitter.on('completed', one)
      submitter.on('failed', one)
    })
    for (const id of ['delivered', 'already', 'rerun', 'refused']) {
      await queue.add('delivery', data, { jobId: id, attempts: 3 })
    }
    await settled
    await submitter.close()
    await queue.add('delivery', data, { jobId: 'waiting' })

    const deliveries = createDeliveryReader(connection)
    const read = (jobId: string) => deliveries.read({ jobId, request })
    expect(await read('delivered')).toMatchObject({
      state: 'delivered',
      transactionHash: '0xaa',
      blockNumber: 7,
    })
    expect(await read('already')).toMatchObject({ state: 'already_delivered', transactionHash: '0xbb' })
    expect(await read('rerun')).toMatchObject({ state: 'rerun', reason: 'CodeHashMismatch', run: 2 })
    expect(await read('refused')).toEqual({
      state: 'refused',
      attempts: 1,
      reason: 'RequestExpired: the consumer refused it',
    })
    expect(await read('waiting')).toEqual({ state: 'queued', attempts: 0 })
    expect(await read('missing')).toBeUndefined()
    expect(await deliveries.read({ jobId: 'delivered', request: { trigger: 'http', chainId: '0' } })).toBe(
      undefined,
    )
    await deliveries.close()
    await queue.close()
  })
})
