import type { Job } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { retryBackoff } from './retryPolicy.js'

const jobCreated = (msAgo: number) => ({ timestamp: Date.now() - msAgo }) as Job

describe('retryBackoff', () => {
  const backoff = retryBackoff({ baseDelayMs: 500, maxDelayMs: 30_000, horizonMs: 60 * 60 * 1000 })

  it('doubles from the base delay up to the cap', () => {
    const delays = [1, 2, 3, 4, 7, 8, 50].map((attempt) =>
      backoff(attempt, 'teefn-capped', undefined, jobCreated(0)),
    )
    expect(delays).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000])
  })

  it('gives up (-1) once a retry would start past the horizon, whatever the attempt count', () => {
    expect(backoff(2, 'teefn-capped', undefined, jobCreated(60 * 60 * 1000 - 2000))).toBe(1000)
    expect(backoff(2, 'teefn-capped', undefined, jobCreated(60 * 60 * 1000 - 500))).toBe(-1)
    expect(backoff(40, 'teefn-capped', undefined, jobCreated(59 * 60 * 1000 + 40_000))).toBe(-1)
  })
})
