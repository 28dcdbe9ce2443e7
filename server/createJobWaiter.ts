import type { QueueEvents } from 'bullmq'
import type { RequestJobResult } from '../runtime/queue/jobs.js'

/** How a wait ended: the job's return value, its final failure, or no news before the deadline. */
export type JobWaitOutcome =
  | { state: 'completed'; result: RequestJobResult }
  | { state: 'failed'; failedReason: string }
  | { state: 'pending' }

export type JobWaiter = {
  /**
   * Waits for a job added after the waiter started listening (so no event can be missed) to complete or
   * fail, at most `timeoutMs`.
   */
  wait(jobId: string, timeoutMs: number): Promise<JobWaitOutcome>
  /** Stops waiting for a job (its add failed); its wait answers `pending`. */
  cancel(jobId: string): void
  /** Jobs being waited for now. */
  readonly waiting: number
  /** Answers every wait with `pending` (at shutdown: callers get their job id and poll). */
  releaseAll(): void
}

type Waiter = { resolve: (outcome: JobWaitOutcome) => void; timer: NodeJS.Timeout }

/**
 * One listener on each shared `QueueEvents` stream (both request lanes: a job is found in whichever lane it ran)
 * serves every waiting HTTP caller through a map by job id: no per-request Redis connection, listener or
 * `isFinished` round trip. `failed` arrives only once BullMQ gave up on the job (retries exhausted); a retried
 * attempt does not end the wait.
 */
export function createJobWaiter(events: QueueEvents | readonly QueueEvents[]): JobWaiter {
  const waiters = new Map<string, Waiter>()
  const settle = (jobId: string, outcome: JobWaitOutcome) => {
    const waiter = waiters.get(jobId)
    if (!waiter) return
    waiters.delete(jobId)
    clearTimeout(waiter.timer)
    waiter.resolve(outcome)
  }
  for (const stream of ([] as QueueEvents[]).concat(events)) {
    stream.on('completed', ({ jobId, returnvalue }) => {
      if (waiters.has(jobId))
        settle(jobId, { state: 'completed', result: returnvalue as unknown as RequestJobResult })
    })
    stream.on('failed', ({ jobId, failedReason }) => {
      if (waiters.has(jobId)) settle(jobId, { state: 'failed', failedReason })
    })
  }
  return {
    wait(jobId, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(jobId, { state: 'pending' }), timeoutMs)
        waiters.set(jobId, { resolve, timer })
      })
    },
    cancel(jobId) {
      settle(jobId, { state: 'pending' })
    },
    get waiting() {
      return waiters.size
    },
    releaseAll() {
      for (const jobId of [...waiters.keys()]) settle(jobId, { state: 'pending' })
    },
  }
}
