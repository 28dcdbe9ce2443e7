import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createLogCheckpoint } from './logCheckpoint.js'

let server: RedisServer
let redis: Redis

beforeAll(async () => {
  server = await startRedisServer()
  redis = createRedisConnection({ url: server.url })
})

afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

describe('createLogCheckpoint', () => {
  it('persists per chain and never moves backwards', async () => {
    const checkpoint = createLogCheckpoint({ redis, chainId: '31337' })
    expect(checkpoint.key).toBe('teefn:checkpoint:evm-31337')
    expect(await checkpoint.get()).toBeUndefined()
    await checkpoint.advance(100)
    await checkpoint.advance(42) // a slower scan finishing late
    expect(await checkpoint.get()).toBe(100)
    await checkpoint.advance(101)
    // Another handle (a restarted watcher) reads the same value; another chain has its own.
    expect(await createLogCheckpoint({ redis, chainId: '31337' }).get()).toBe(101)
    expect(await createLogCheckpoint({ redis, chainId: '1' }).get()).toBeUndefined()
  })
})
