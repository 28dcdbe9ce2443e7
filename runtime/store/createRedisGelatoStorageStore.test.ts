import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import { createRedisGelatoStorageStore } from './createRedisGelatoStorageStore.js'
import { functionStoreKeys } from './functionStoreKeys.js'

let redis: Redis
useRedisServer({ isolate: true }, ({ connection }) => {
  redis = connection
})

const functionKey = new Uint8Array(32).fill(3)
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'ab'.repeat(20)}`,
  functionId: `0x${'11'.repeat(32)}`,
}
const other: FunctionScope = { ...scope, functionId: `0x${'22'.repeat(32)}` }
const key = functionStoreKeys('teefn').gelatoStorage

describe('createRedisGelatoStorageStore', () => {
  it('starts empty at version 0, then loads what it saved, version by version', async () => {
    const store = createRedisGelatoStorageStore({ redis })
    expect(await store.load(scope, functionKey)).toEqual({ version: 0, storage: {} })
    expect(await store.save(scope, functionKey, { version: 0, storage: { count: '1' } })).toBe(1)
    expect(await store.save(scope, functionKey, { version: 1, storage: { count: '2' } })).toBe(2)
    expect(await store.load(scope, functionKey)).toEqual({ version: 2, storage: { count: '2' } })
    expect(await store.load(other, functionKey)).toEqual({ version: 0, storage: {} })
    const raw = await redis.hgetBuffer(key(scope), 'sealed')
    expect(raw!.toString('latin1')).not.toContain('count')
  })

  it('refuses a write from a stale version and keeps the stored one', async () => {
    const store = createRedisGelatoStorageStore({ redis })
    await store.save(scope, functionKey, { version: 0, storage: { count: '1' } })
    await expect(
      store.save(scope, functionKey, { version: 0, storage: { count: '9' } }),
    ).rejects.toMatchObject({
      code: 'GELATO_STORAGE_CONFLICT',
      message: expect.stringContaining('version 1 is stored now'),
    })
    expect(await store.load(scope, functionKey)).toEqual({ version: 1, storage: { count: '1' } })
  })

  it("refuses a blob moved from another function's key or relabelled, naming the key", async () => {
    const store = createRedisGelatoStorageStore({ redis })
    await store.save(other, functionKey, { version: 0, storage: { count: '7' } })
    await redis.copy(key(other), key(scope))
    await expect(store.load(scope, functionKey)).rejects.toMatchObject({
      code: 'GELATO_STORAGE_UNREADABLE',
      message: expect.stringContaining(key(scope)),
    })
    await redis.hset(key(other), 'version', '2')
    await expect(store.load(other, functionKey)).rejects.toMatchObject({ code: 'GELATO_STORAGE_UNREADABLE' })
    await redis.hdel(key(other), 'sealed')
    await expect(store.load(other, functionKey)).rejects.toMatchObject({ code: 'GELATO_STORAGE_UNREADABLE' })
  })
})
