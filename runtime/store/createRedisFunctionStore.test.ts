import { inspect } from 'node:util'
import { Wallet } from 'ethers'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../bytes.js'
import { type FunctionScope, scopeId } from '../enclave/functionScope.js'
import {
  recoverSecretsSigner,
  type SignedSecrets,
  signFunctionSettings,
  signSecretsUpdate,
} from '../enclave/ownerRecords.js'
import { encryptSecrets } from '../enclave/secretsCipher.js'
import { computeCodeHash } from './computeCodeHash.js'
import { createRedisFunctionStore } from './createRedisFunctionStore.js'
import type { FunctionStore } from './FunctionStore.js'
import { FunctionStoreError } from './FunctionStoreError.js'
import { functionStoreKeys } from './functionStoreKeys.js'

const owner = new Wallet(`0x${'4c'.repeat(32)}`)
const workerKey = `0x${'09'.repeat(32)}` as Hex
const secretValue = 'sk-live-store-test-31f9'
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  functionId: `0x${'11'.repeat(32)}`,
}
/** The same functionId on another chain and under another registry: other functions. */
const otherChain: FunctionScope = { ...scope, chainId: '1' }
const otherRegistry: FunctionScope = { ...scope, registry: `0x${'22'.repeat(20)}` }

let server: RedisServer
let redis: Redis
let prefixes = 0
/** A store under a fresh prefix, so tests never see each other's records. */
const freshStore = (): { store: FunctionStore; prefix: string } => {
  const prefix = `t${++prefixes}`
  return { store: createRedisFunctionStore({ redis, prefix }), prefix }
}

function signedSecrets(
  version: number,
  target = scope,
  secrets: Record<string, string> = { API_KEY: secretValue },
) {
  const ciphertext = encryptSecrets({ workerKey, scope: target, secrets })
  return signSecretsUpdate(owner, { scope: target, ciphertext, version })
}

async function refusal(promise: Promise<unknown>): Promise<FunctionStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(FunctionStoreError)
  return error as FunctionStoreError
}

beforeAll(async () => {
  server = await startRedisServer()
  redis = new Redis(server.url)
})

afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

describe('createRedisFunctionStore: bundles', () => {
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

  it('refuses bundles over 1 MiB', async () => {
    const store = createRedisFunctionStore({ redis })
    await expect(store.putFunction('x'.repeat(1024 * 1024 + 1))).rejects.toThrow(
      /over the 1048576-byte limit/,
    )
  })
})

describe('createRedisFunctionStore: owner-signed secrets', () => {
  it('keeps the record per scope, under a key named by its scopeId', async () => {
    const { store, prefix } = freshStore()
    expect(await store.getSecrets(scope)).toBeUndefined()
    const record = await signedSecrets(1)
    await store.putSecrets(record)
    expect(await store.getSecrets(scope)).toEqual(record)
    expect(await redis.exists(`${prefix}:scope:${scopeId(scope)}:secrets`)).toBe(1)
    expect(functionStoreKeys(prefix).secrets(scope)).toBe(`${prefix}:scope:${scopeId(scope)}:secrets`)
    // The same functionId elsewhere is another function: nothing stored there.
    expect(await store.getSecrets(otherChain)).toBeUndefined()
    expect(await store.getSecrets(otherRegistry)).toBeUndefined()
    const elsewhere = await signedSecrets(1, otherChain)
    await store.putSecrets(elsewhere)
    expect(await store.getSecrets(otherChain)).toEqual(elsewhere)
    expect(await store.getSecrets(scope)).toEqual(record)
  })

  it('takes only a higher version, naming both versions otherwise', async () => {
    const { store } = freshStore()
    const v5 = await signedSecrets(5)
    await store.putSecrets(v5)
    for (const version of [5, 4, 1]) {
      const error = await refusal(store.putSecrets(await signedSecrets(version)))
      expect(error).toMatchObject({ code: 'VERSION_NOT_NEWER', storedVersion: 5, version })
      expect(error.message).toContain(`version ${version} given, version 5 stored`)
    }
    expect(await store.getSecrets(scope)).toEqual(v5)
    const v6 = await signedSecrets(6)
    await store.putSecrets(v6)
    expect(await store.getSecrets(scope)).toEqual(v6)
    const big = await signedSecrets(Number.MAX_SAFE_INTEGER)
    await store.putSecrets(big)
    expect((await store.getSecrets(scope))?.version).toBe(Number.MAX_SAFE_INTEGER)
    // 2^53 - 2 as a Lua double is still exactly below 2^53 - 1.
    await expect(store.putSecrets(await signedSecrets(Number.MAX_SAFE_INTEGER - 1))).rejects.toMatchObject({
      code: 'VERSION_NOT_NEWER',
    })
  })

  it('keeps a delete as a tombstone that an older version cannot undo', async () => {
    const { store } = freshStore()
    await store.putSecrets(await signedSecrets(2))
    const tombstone = await signSecretsUpdate(owner, { scope, ciphertext: '0x', version: 3 })
    await store.putSecrets(tombstone)
    expect(await store.getSecrets(scope)).toEqual({ ...tombstone, ciphertext: '0x' })
    await expect(store.putSecrets(await signedSecrets(2))).rejects.toMatchObject({
      code: 'VERSION_NOT_NEWER',
    })
    expect((await store.getSecrets(scope))?.ciphertext).toBe('0x')
    await store.putSecrets(await signedSecrets(4))
    expect((await store.getSecrets(scope))?.ciphertext).not.toBe('0x')
  })

  it('lets exactly one of many concurrent writers of one version win, and the highest of many versions stay', async () => {
    const { prefix } = freshStore()
    // Separate connections, so the writers' commands really interleave in Redis.
    const connections = Array.from({ length: 8 }, () => new Redis(server.url))
    try {
      const stores = connections.map((connection) => createRedisFunctionStore({ redis: connection, prefix }))
      const records = await Promise.all(stores.map((_, i) => signedSecrets(10, scope, { N: String(i) })))
      const outcomes = await Promise.allSettled(stores.map((store, i) => store.putSecrets(records[i]!)))
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1)
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'VERSION_NOT_NEWER' })
      }
      const winner = outcomes.findIndex((outcome) => outcome.status === 'fulfilled')
      expect(await stores[0]!.getSecrets(scope)).toEqual(records[winner])

      // Versions 11..18 arriving in any order: the highest stays, whichever order they ran in.
      const versions = [14, 11, 18, 12, 17, 13, 16, 15]
      const newer = await Promise.all(versions.map((version) => signedSecrets(version)))
      await Promise.allSettled(stores.map((store, i) => store.putSecrets(newer[i]!)))
      expect((await stores[0]!.getSecrets(scope))?.version).toBe(18)
    } finally {
      for (const connection of connections) connection.disconnect()
    }
  })

  it('checks the form, not the signature: the API and the worker recover the signer', async () => {
    const { store } = freshStore()
    const stranger = new Wallet(`0x${'5d'.repeat(32)}`)
    const ciphertext = encryptSecrets({ workerKey, scope, secrets: { API_KEY: secretValue } })
    const byStranger = await signSecretsUpdate(stranger, { scope, ciphertext, version: 1 })
    await store.putSecrets(byStranger)
    const stored = (await store.getSecrets(scope))!
    expect(recoverSecretsSigner(stored)).toBe(stranger.address.toLowerCase())
    await expect(store.putSecrets({ ...byStranger, version: 0 })).rejects.toMatchObject({
      code: 'OWNER_RECORD_INVALID',
      field: 'version',
    })
    await expect(
      store.putSecrets({
        ...byStranger,
        version: 2,
        scope: {
          family: 'substrate',
          chainId: `0x${'91'.repeat(32)}`,
          registry: '0x',
          functionId: scope.functionId,
        },
      }),
    ).rejects.toMatchObject({ field: 'scope.family' })
    await expect(store.getSecrets({ ...scope, chainId: '0' })).rejects.toMatchObject({
      code: 'FUNCTION_SCOPE_INVALID',
    })
  })

  it('reports a key it did not write as STORED_RECORD_INVALID, without repeating its content', async () => {
    const { store, prefix } = freshStore()
    const key = functionStoreKeys(prefix).secrets(scope)
    const record: SignedSecrets = await signedSecrets(1)
    await redis.hset(key, 'version', '1', 'record', `{"ciphertext":"${record.ciphertext}"`)
    const notJson = await refusal(store.getSecrets(scope))
    expect(notJson.code).toBe('STORED_RECORD_INVALID')
    // A valid record of another scope copied under this scope's key.
    const foreign = await signedSecrets(1, otherRegistry)
    await redis.hset(key, 'record', JSON.stringify(foreign))
    const misplaced = await refusal(store.getSecrets(scope))
    expect(misplaced.message).toContain('for another scope')
    await redis.hset(key, 'record', JSON.stringify({ ...record, version: 'one' }))
    const malformed = await refusal(store.getSecrets(scope))
    expect(malformed.message).toContain('field version')
    for (const error of [notJson, misplaced, malformed]) {
      for (const text of [error.message, inspect(error), JSON.stringify(error)]) {
        expect(text).not.toContain(record.ciphertext.slice(2, 66))
        expect(text).not.toContain(foreign.ciphertext.slice(2, 66))
      }
    }
  })
})

describe('createRedisFunctionStore: owner-signed settings', () => {
  it('keep the highest version per scope, like secrets, under their own key', async () => {
    const { store, prefix } = freshStore()
    expect(await store.getSettings(scope)).toBeUndefined()
    const on = await signFunctionSettings(owner, { scope, httpSecrets: true, version: 2 })
    await store.putSettings(on)
    expect(await store.getSettings(scope)).toEqual(on)
    const refused = await refusal(
      store.putSettings(await signFunctionSettings(owner, { scope, httpSecrets: false, version: 2 })),
    )
    expect(refused).toMatchObject({ code: 'VERSION_NOT_NEWER', storedVersion: 2, version: 2 })
    expect(refused.message).toContain('settings')
    const off = await signFunctionSettings(owner, { scope, httpSecrets: false, version: 3 })
    await store.putSettings(off)
    expect(await store.getSettings(scope)).toEqual(off)
    expect(await store.getSettings(otherChain)).toBeUndefined()
    // Settings and secrets of one scope are separate records with separate versions.
    expect(await store.getSecrets(scope)).toBeUndefined()
    await store.putSecrets(await signedSecrets(1))
    expect(await redis.exists(functionStoreKeys(prefix).settings(scope))).toBe(1)
    expect((await store.getSettings(scope))?.version).toBe(3)
  })
})
