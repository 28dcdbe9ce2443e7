import type { Redis } from 'ioredis'
import { computeCodeHash } from './computeCodeHash.js'
import type { FunctionStore, StoredFunction } from './FunctionStore.js'
import { maxBundleBytes } from './limits.js'

type Hex = `0x${string}`

export type CreateRedisFunctionStoreParameters = {
  redis: Redis
  /** Key prefix; `teefn` by default. */
  prefix?: string | undefined
}

/** A {@link FunctionStore} in Redis: one hash per bundle, one string per function's secrets. */
export function createRedisFunctionStore({
  redis,
  prefix = 'teefn',
}: CreateRedisFunctionStoreParameters): FunctionStore {
  const functionKey = (codeHash: string) => `${prefix}:function:${codeHash.toLowerCase()}`
  const secretsKey = (functionId: string) => `${prefix}:secrets:${functionId.toLowerCase()}`

  return {
    async putFunction(code, meta = {}) {
      const size = Buffer.byteLength(code)
      if (size > maxBundleBytes)
        throw new RangeError(`bundle of ${size} bytes is over the ${maxBundleBytes}-byte limit`)
      const codeHash = computeCodeHash(code)
      const fields: Record<string, string> = { code, uploadedAt: String(Date.now()) }
      if (meta.owner) fields.owner = meta.owner
      // HSETNX on `code` makes the first upload win; content addressing means any later one is identical.
      const created = (await redis.hsetnx(functionKey(codeHash), 'code', code)) === 1
      if (created) await redis.hset(functionKey(codeHash), fields)
      return { codeHash, created }
    },
    async getFunction(codeHash) {
      const stored = await redis.hgetall(functionKey(codeHash))
      if (stored.code === undefined) return undefined
      const found: StoredFunction = {
        codeHash: codeHash.toLowerCase() as Hex,
        code: stored.code,
        uploadedAt: Number(stored.uploadedAt ?? 0),
      }
      if (stored.owner) found.owner = stored.owner
      return found
    },
    async putSecrets(functionId, ciphertext) {
      await redis.set(secretsKey(functionId), ciphertext)
    },
    async getSecrets(functionId) {
      return ((await redis.get(secretsKey(functionId))) ?? undefined) as Hex | undefined
    },
  }
}
