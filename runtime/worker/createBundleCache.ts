import type { Hex } from '../bytes.js'
import { computeCodeHash } from '../store/computeCodeHash.js'
import type { FunctionStore } from '../store/FunctionStore.js'

export type CreateBundleCacheParameters = {
  store: Pick<FunctionStore, 'getFunction'>
  /** Verified bundles kept in memory, in UTF-16 code units (about twice that in bytes); 32 Mi by default. */
  maxCachedChars?: number | undefined
}

export type BundleCache = {
  /** The bundle for a codeHash, checked against it: undefined when none is stored, false when it does not match. */
  load(codeHash: Hex): Promise<string | undefined | false>
}

/**
 * Bundles by codeHash, hashed before first use. Bundles are content-addressed: once a bundle's bytes hashed to
 * its codeHash they stay valid, so whoever writes the store can withhold code but never swap it.
 */
export function createBundleCache({
  store,
  maxCachedChars = 32 * 1024 * 1024,
}: CreateBundleCacheParameters): BundleCache {
  const verified = new Map<string, string>()
  let cachedChars = 0
  return {
    async load(codeHash) {
      const key = codeHash.toLowerCase()
      const cached = verified.get(key)
      if (cached !== undefined) return cached
      const stored = await store.getFunction(codeHash)
      if (!stored) return undefined
      if (computeCodeHash(stored.code) !== key) return false
      if (cachedChars + stored.code.length > maxCachedChars) {
        verified.clear()
        cachedChars = 0
      }
      verified.set(key, stored.code)
      cachedChars += stored.code.length
      return stored.code
    },
  }
}
