import type { Redis } from 'ioredis'
import type { Hex } from '../bytes.js'
import { type FunctionScope, scopeId } from '../enclave/functionScope.js'
import {
  parseSignedSecrets,
  parseSignedSettings,
  type SignedSecrets,
  type SignedSettings,
} from '../enclave/ownerRecords.js'
import { computeCodeHash } from './computeCodeHash.js'
import type { FunctionStore, StoredFunction } from './FunctionStore.js'
import { FunctionStoreError } from './FunctionStoreError.js'
import { functionStoreKeys } from './functionStoreKeys.js'
import { maxBundleBytes } from './limits.js'

export type CreateRedisFunctionStoreParameters = {
  redis: Redis
  /** Key prefix; `teefn` by default. */
  prefix?: string | undefined
}

/**
 * Writes `record` with `version` unless the stored version is at least as high, in one step: two writers
 * racing cannot both win, and a lower version never replaces a higher one. Returns nil when written, else
 * the stored version. Versions are below 2^53, exact as Lua numbers (doubles).
 */
const putIfNewerScript = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return stored end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'record', ARGV[2])
return false
`

/**
 * A {@link FunctionStore} in Redis: one hash per bundle, one hash per scope's secrets and settings (key names in
 * `functionStoreKeys.ts`).
 */
export function createRedisFunctionStore({
  redis,
  prefix = 'teefn',
}: CreateRedisFunctionStoreParameters): FunctionStore {
  const keys = functionStoreKeys(prefix)

  async function putIfNewer(kind: 'secrets' | 'settings', key: string, version: number, record: object) {
    const stored = (await redis.eval(putIfNewerScript, 1, key, String(version), JSON.stringify(record))) as
      | string
      | null
    if (stored === null) return
    throw new FunctionStoreError(`The ${kind} are not newer than the stored ones.`, {
      code: 'VERSION_NOT_NEWER',
      details: `version ${version} given, version ${stored} stored`,
      hint: `Sign the ${kind} again with a version above ${stored}.`,
      storedVersion: Number(stored),
      version,
    })
  }

  async function getRecord<T extends { scope: FunctionScope }>(
    kind: 'secrets' | 'settings',
    key: string,
    scope: FunctionScope,
    parse: (value: unknown) => T,
  ): Promise<T | undefined> {
    const stored = await redis.hget(key, 'record')
    if (stored === null) return undefined
    let record: T
    try {
      record = parse(JSON.parse(stored))
    } catch (error) {
      // Neither the stored text nor the parser's message is repeated: the record holds a ciphertext.
      throw new FunctionStoreError(`The stored ${kind} record cannot be read.`, {
        code: 'STORED_RECORD_INVALID',
        details: `${key}: ${error instanceof SyntaxError ? 'not JSON' : `field ${(error as { field?: string }).field ?? 'unknown'} is invalid`}`,
        hint: 'Something other than teefn wrote this key; put the record again.',
      })
    }
    if (scopeId(record.scope) !== scopeId(scope)) {
      throw new FunctionStoreError(`The stored ${kind} record is for another scope.`, {
        code: 'STORED_RECORD_INVALID',
        details: `${key} holds a record for scope ${scopeId(record.scope)}`,
        hint: 'Something other than teefn wrote this key; put the record again.',
      })
    }
    return record
  }

  return {
    async putFunction(code, meta = {}) {
      const size = Buffer.byteLength(code)
      if (size > maxBundleBytes)
        throw new RangeError(`bundle of ${size} bytes is over the ${maxBundleBytes}-byte limit`)
      const codeHash = computeCodeHash(code)
      const fields: Record<string, string> = { code, uploadedAt: String(Date.now()) }
      if (meta.owner) fields.owner = meta.owner
      // HSETNX on `code` makes the first upload win; content addressing means any later one is identical.
      const created = (await redis.hsetnx(keys.function(codeHash), 'code', code)) === 1
      if (created) await redis.hset(keys.function(codeHash), fields)
      return { codeHash, created }
    },
    async getFunction(codeHash) {
      const stored = await redis.hgetall(keys.function(codeHash))
      if (stored.code === undefined) return undefined
      const found: StoredFunction = {
        codeHash: codeHash.toLowerCase() as Hex,
        code: stored.code,
        uploadedAt: Number(stored.uploadedAt ?? 0),
      }
      if (stored.owner) found.owner = stored.owner
      return found
    },
    async putSecrets(record: SignedSecrets) {
      const parsed = parseSignedSecrets(record)
      await putIfNewer('secrets', keys.secrets(parsed.scope), parsed.version, parsed)
    },
    async getSecrets(scope) {
      return getRecord('secrets', keys.secrets(scope), scope, parseSignedSecrets)
    },
    async putSettings(record: SignedSettings) {
      const parsed = parseSignedSettings(record)
      await putIfNewer('settings', keys.settings(parsed.scope), parsed.version, parsed)
    },
    async getSettings(scope) {
      return getRecord('settings', keys.settings(scope), scope, parseSignedSettings)
    },
  }
}
