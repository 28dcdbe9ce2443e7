import type { DefaultJobOptions } from 'bullmq'
import { retryBackoffType } from './retryPolicy.js'

/**
 * Retried with capped exponential backoff until the retry policy's horizon (`retryPolicy.ts`: the worker's and
 * the submitters' `retryBackoff` decide; the attempt count only bounds a runaway); completed jobs kept for a
 * day (so a request seen again within it is still one job, and the HTTP API can show it), failed jobs kept
 * until an operator removes them.
 */
export const defaultJobOptions: DefaultJobOptions = {
  attempts: 100_000,
  backoff: { type: retryBackoffType },
  removeOnComplete: { age: 24 * 60 * 60, count: 100_000 },
  removeOnFail: false,
}
