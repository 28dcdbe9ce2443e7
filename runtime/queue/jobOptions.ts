import type { DefaultJobOptions } from 'bullmq'

/**
 * Retries with exponential backoff; completed jobs kept for a day (so a request seen again within it is
 * still one job, and the HTTP API can show it), failed jobs kept until an operator removes them.
 */
export const defaultJobOptions: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 60 * 60, count: 100_000 },
  removeOnFail: false,
}
