import type { Redis } from 'ioredis'
import type { FunctionScope } from '../enclave/functionScope.js'
import { functionStoreKeys } from './functionStoreKeys.js'
import { GelatoStorageError } from './GelatoStorageError.js'
import { openGelatoStorage, sealGelatoStorage } from './sealGelatoStorage.js'

/** A function's storage as loaded: what it holds and the version it was written as (0: never written). */
export type VersionedGelatoStorage = { version: number; storage: Record<string, string> }

/** Where the worker keeps Gelato-mode functions' `context.storage` between runs, sealed per function scope. */
export type GelatoStorageStore = {
  /**
   * The scope's storage, opened with its function key; `{ version: 0, storage: {} }` when none was written.
   * Throws `GelatoStorageError` `GELATO_STORAGE_UNREADABLE` when what is stored does not open.
   */
  load(scope: FunctionScope, functionKey: Uint8Array): Promise<VersionedGelatoStorage>
  /**
   * Seals `storage` as version `version + 1` and writes it if the stored version is still `version`, in one
   * step; otherwise throws `GelatoStorageError` `GELATO_STORAGE_CONFLICT` and writes nothing. Returns the new version.
   */
  save(scope: FunctionScope, functionKey: Uint8Array, next: VersionedGelatoStorage): Promise<number>
}

export type CreateRedisGelatoStorageStoreParameters = {
  redis: Redis
  /** Key prefix, the function store's; `teefn` by default. */
  prefix?: string | undefined
}

/**
 * Compare-and-set on the version: writes `sealed` as version ARGV[2] only if the stored version (0 when there is
 * none) is ARGV[1]. Returns nil when written, else the stored version. A script, not WATCH/MULTI: the worker's
 * jobs share one connection, and WATCH is per connection.
 */
const compareAndSetScript = `
local stored = redis.call('HGET', KEYS[1], 'version') or '0'
if stored ~= ARGV[1] then return stored end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'sealed', ARGV[3])
return false
`

/**
 * A {@link GelatoStorageStore} in Redis: one hash per scope (`functionStoreKeys(prefix).gelatoStorage`) with the
 * version and the blob `sealGelatoStorage` made. Whoever holds Redis can delete it or put back an older version;
 * it cannot read, forge or move one to another function (it then fails to open).
 */
export function createRedisGelatoStorageStore({
  redis,
  prefix = 'teefn',
}: CreateRedisGelatoStorageStoreParameters): GelatoStorageStore {
  const keys = functionStoreKeys(prefix)
  return {
    async load(scope, functionKey) {
      const key = keys.gelatoStorage(scope)
      const [version, sealed] = await redis.hmgetBuffer(key, 'version', 'sealed')
      if (!version && !sealed) return { version: 0, storage: {} }
      const number = Number(version?.toString())
      try {
        if (!Number.isSafeInteger(number) || number < 1 || !sealed)
          throw new GelatoStorageError(
            'The Gelato storage of this function cannot be opened by this worker.',
            {
              code: 'GELATO_STORAGE_UNREADABLE',
              details: 'its version or blob is missing or malformed.',
              hint: "Restore the blob this node's worker wrote, or delete the function's storage key to start it empty (its state is lost).",
            },
          )
        return {
          version: number,
          storage: openGelatoStorage({ functionKey, scope, version: number, sealed }),
        }
      } catch (error) {
        if (!(error instanceof GelatoStorageError)) throw error
        throw new GelatoStorageError(error.shortMessage, {
          code: error.code,
          details: `${error.details} Redis key ${key}.`,
          hint: error.hint,
        })
      }
    },
    async save(scope, functionKey, { version, storage }) {
      const key = keys.gelatoStorage(scope)
      const next = version + 1
      const sealed = sealGelatoStorage({ functionKey, scope, version: next, storage })
      const stored = (await redis.eval(
        compareAndSetScript,
        1,
        key,
        String(version),
        String(next),
        Buffer.from(sealed),
      )) as string | null
      if (stored === null) return next
      throw new GelatoStorageError(
        "Another run of this function updated its Gelato storage first: this run's update was refused.",
        {
          code: 'GELATO_STORAGE_CONFLICT',
          details: `The run started from version ${version}; version ${stored} is stored now. Nothing was written.`,
          hint: 'Run it again: it starts from the stored version. Runs of one function that overlap cannot both update its storage.',
        },
      )
    },
  }
}
