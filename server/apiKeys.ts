import { createHash, timingSafeEqual } from 'node:crypto'

/** The header operators send their API key in. */
export const apiKeyHeader = 'x-api-key'

/** A presented API key, checked: `id` names which configured key it is (a short hash, never the key). */
export type ApiKeyMatch = { id: string }

/**
 * Checks presented API keys against the configured ones in constant time: both sides are hashed to 32 bytes
 * first (so lengths never differ) and every configured key is compared, whichever matches.
 */
export function createApiKeyMatcher(
  keys: readonly string[],
): (presented: string | undefined) => ApiKeyMatch | undefined {
  const configured = keys
    .filter((key) => key.length > 0)
    .map((key) => {
      const digest = sha256(key)
      return { digest, id: digest.subarray(0, 6).toString('hex') }
    })
  return (presented) => {
    if (presented === undefined || presented.length === 0 || configured.length === 0) return undefined
    const digest = sha256(presented)
    let match: ApiKeyMatch | undefined
    for (const key of configured) {
      if (timingSafeEqual(key.digest, digest)) match = { id: key.id }
    }
    return match
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
