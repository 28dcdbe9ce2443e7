import { describe, expect, it } from 'vitest'
import { latencySummary } from './latencySummary.js'

describe('latencySummary', () => {
  it('gives nearest-rank percentiles of queue and run times, oldest first, skipping unfinished jobs', () => {
    const jobs = Array.from({ length: 20 }, (_, index) => ({
      queuedAt: 1_000 * index,
      startedAt: 1_000 * index + index,
      finishedAt: 1_000 * index + index + 10 * (20 - index),
    })).reverse()
    const summary = latencySummary([...jobs, { queuedAt: 5 }, { queuedAt: 6, startedAt: 7 }])
    expect(summary.jobs).toBe(20)
    expect(summary.queuedMs).toEqual({ p50: 9, p95: 18, max: 19 })
    expect(summary.runMs).toEqual({ p50: 100, p95: 190, max: 200 })
    expect(summary.recent[0]).toEqual({ finishedAt: 200, queuedMs: 0, runMs: 200 })
    expect(summary.recent.at(-1)!.runMs).toBe(10)
  })

  it('answers zeros for no jobs', () => {
    expect(latencySummary([])).toEqual({
      jobs: 0,
      queuedMs: { p50: 0, p95: 0, max: 0 },
      runMs: { p50: 0, p95: 0, max: 0 },
      recent: [],
    })
  })
})
