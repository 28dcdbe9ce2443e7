import type { BackoffStrategy } from 'bullmq'

/** How a job that failed for a passing reason (an RPC outage, a quorum not reached) is tried again. */
export type RetryPolicy = {
  /** The first retry's delay; each next one doubles it. */
  baseDelayMs: number
  /** No retry waits longer than this. */
  maxDelayMs: number
  /** No retry starts later than this after the job was created: then the job fails, and nothing is signed. */
  horizonMs: number
}

/** 0.5 s, doubling up to 30 s, for an hour. */
export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  horizonMs: 60 * 60 * 1000,
}

/** The `backoff.type` of teefn's jobs; every BullMQ `Worker` that takes them passes `retryBackoff(policy)`. */
export const retryBackoffType = 'teefn-capped'

/**
 * BullMQ's custom backoff for `retryBackoffType`: capped exponential delays until the horizon, then -1 (no
 * more retries). Measured from the job's creation, so a job stuck behind an outage ends at a known time
 * whatever its attempt count.
 */
export function retryBackoff(policy: RetryPolicy = defaultRetryPolicy): BackoffStrategy {
  return (attemptsMade, _type, _error, job) => {
    const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30)
    const delay = Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs)
    const createdAt = job?.timestamp ?? Date.now()
    return Date.now() + delay - createdAt > policy.horizonMs ? -1 : delay
  }
}
