import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../cli/dev/startRedisServer.js'
import { computeCodeHash } from './computeCodeHash.js'
import { createRedisFunctionStore } from './createRedisFunctionStore.js'

let server: RedisServer
let redis: Redis

beforeAll(async () => {
  server = await startRedisServer()
  redis = new Redis(server.url)
})

afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

describe('createRedisFunctionStore', () => {
  it('stores a bundle under its codeHash, once', async () => {
    const store = createRedisFunctionStore({ redis })
    const code = 'export default () => "stored"'
    const first = await store.putFunction(code, { owner: '0xabc' })
    expect(first).toEqual({ codeHash: computeCodeHash(code), created: true })
    expect(await store.putFunction(code)).toEqual({ codeHash: first.codeHash, created: false })
    const found = await store.getFunction(first.codeHash)
    expect(found).toMatchObject({ codeHash: first.codeHash, code, owner: '0xabc' })
    expect(await store.getFunction(computeCodeHash('other'))).toBeUndefined()
  })

  it('keeps secrets per functionId, the latest winning', async () => {
    const store = createRedisFunctionStore({ redis, prefix: 'other' })
    const functionId = `0x${'11'.repeat(32)}` as const
    expect(await store.getSecrets(functionId)).toBeUndefined()
    await store.putSecrets(functionId, '0x01')
    await store.putSecrets(functionId, '0x02')
    expect(await store.getSecrets(functionId)).toBe('0x02')
  })

  it('refuses bundles over 1 MiB', async () => {
    const store = createRedisFunctionStore({ redis })
    await expect(store.putFunction('x'.repeat(1024 * 1024 + 1))).rejects.toThrow(
      /over the 1048576-byte limit/,
    )
  })
})
