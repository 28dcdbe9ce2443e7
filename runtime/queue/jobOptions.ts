import type { DefaultJobOptions, KeepJobs } from 'bullmq'
import { retryBackoffType } from './retryPolicy.js'

/**
 * Delivery jobs: retried with capped exponential backoff until the retry policy's horizon (`retryPolicy.ts`: the
 * submitters' `retryBackoff` decides; the attempt count only bounds a runaway); completed deliveries kept for a day
 * (a delivery queued twice within it is one job), failed ones until an operator removes them. Only the worker adds
 * them, for requests a chain holds: anonymous callers cannot grow this queue.
 */
export const defaultJobOptions: DefaultJobOptions = {
  attempts: 100_000,
  backoff: { type: retryBackoffType },
  removeOnComplete: { age: 24 * 60 * 60, count: 100_000 },
  removeOnFail: false,
}

/**
 * Request jobs (chain and HTTP): retried like deliveries, with one stack trace kept (a job retried for an hour would
 * otherwise keep one per attempt). They carry no `removeOnComplete` / `removeOnFail`: the worker's `retention`
 * decides how long finished jobs stay (`startQueueWorker`), so one setting bounds every producer's jobs.
 */
export const requestJobOptions: DefaultJobOptions = {
  attempts: 100_000,
  backoff: { type: retryBackoffType },
  stackTraceLimit: 1,
}

/** How many finished jobs of one kind stay in Redis, and for how long. */
export type KeptJobs = {
  /** Seconds after it finished. */
  ageSeconds: number
  /** The most recent ones, across all request jobs (chain and HTTP alike). */
  count: number
}

/**
 * What Redis keeps of request jobs. Per job: the result and logs as stored (the completed job and its `completed`
 * event both hold them); per queue: how many finished jobs and for how long, and how many event-stream entries.
 */
export type Retention = {
  completed: KeptJobs
  failed: KeptJobs
  /** Entries of the request queue's event stream (BullMQ `streams.events.maxLen`, trimmed approximately). */
  eventsMaxLen: number
  /**
   * Result bytes a job keeps. The API refuses per-call `resultBytes` above it, so only a job from another
   * configuration can exceed it: such a job keeps a digest (its envelope without `result`, `resultOmitted`).
   */
  resultBytes: number
  /** Bytes of logs a job keeps, as stored (JSON); the rest is dropped behind a marker line. */
  logBytes: number
}

const KiB = 1024

/**
 * An HTTP job that stores all it may takes at most 2.5 × (2 × resultBytes + logBytes) + 16 KiB of Redis, about
 * 500 KiB (two copies, job and event, of the hex result and the logs, with the allocator's rounding; measured:
 * 452 KiB, `test/hostile-callers.test.ts`). With 2,000 completed jobs and 2,000 stream entries (about a quarter of
 * them `completed` events) the request queue stays below about 0.6 GiB (`server/README.md`).
 */
export const defaultRetention: Retention = Object.freeze({
  completed: Object.freeze({ ageSeconds: 60 * 60, count: 2_000 }),
  failed: Object.freeze({ ageSeconds: 24 * 60 * 60, count: 2_000 }),
  eventsMaxLen: 2_000,
  resultBytes: 64 * KiB,
  logBytes: 64 * KiB,
})

/** `retention` with every field given, from a partial one (the node config's). */
export function resolveRetention(partial: RetentionSettings | undefined = {}): Retention {
  return {
    completed: { ...defaultRetention.completed, ...definedOnly(partial.completed ?? {}) },
    failed: { ...defaultRetention.failed, ...definedOnly(partial.failed ?? {}) },
    eventsMaxLen: partial.eventsMaxLen ?? defaultRetention.eventsMaxLen,
    resultBytes: partial.resultBytes ?? defaultRetention.resultBytes,
    logBytes: partial.logBytes ?? defaultRetention.logBytes,
  }
}

/** A partial `Retention`, as configured. */
export type RetentionSettings = {
  completed?: { ageSeconds?: number | undefined; count?: number | undefined } | undefined
  failed?: { ageSeconds?: number | undefined; count?: number | undefined } | undefined
  eventsMaxLen?: number | undefined
  resultBytes?: number | undefined
  logBytes?: number | undefined
}

/** BullMQ's form of `KeptJobs`. */
export function keepJobsOf({ ageSeconds, count }: KeptJobs): KeepJobs {
  return { age: ageSeconds, count }
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as never
}
