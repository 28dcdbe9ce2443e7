/** A finished job's timestamps (ms since epoch), as BullMQ keeps them. */
export type JobTimes = { queuedAt: number; startedAt?: number | undefined; finishedAt?: number | undefined }

export type LatencyPercentiles = { p50: number; p95: number; max: number }

export type LatencySummaryReturnType = {
  jobs: number
  queuedMs: LatencyPercentiles
  runMs: LatencyPercentiles
  /** Oldest first. */
  recent: { finishedAt: number; queuedMs: number; runMs: number }[]
}

/**
 * Percentiles (nearest rank) of how long finished jobs waited in the queue and ran, and each job's pair,
 * oldest first, for a chart. Jobs without both a start and a finish are left out.
 */
export function latencySummary(jobs: readonly JobTimes[]): LatencySummaryReturnType {
  const recent = jobs
    .filter((job) => job.startedAt !== undefined && job.finishedAt !== undefined)
    .map((job) => ({
      finishedAt: job.finishedAt!,
      queuedMs: Math.max(0, job.startedAt! - job.queuedAt),
      runMs: Math.max(0, job.finishedAt! - job.startedAt!),
    }))
    .sort((a, b) => a.finishedAt - b.finishedAt)
  return {
    jobs: recent.length,
    queuedMs: percentiles(recent.map((job) => job.queuedMs)),
    runMs: percentiles(recent.map((job) => job.runMs)),
    recent,
  }
}

function percentiles(values: number[]): LatencyPercentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
  return { p50: rank(50), p95: rank(95), max: sorted.at(-1) ?? 0 }
}
