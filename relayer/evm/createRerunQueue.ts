import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'

export type RerunQueue = {
  /** Queues the next run of `request` (run + 1, seen now) and returns its run number. */
  add(request: RequestJobData): Promise<number>
  close(): Promise<void>
}

/**
 * Where the submitter sends a request back to run again, after the consumer refused its answer for a reason a
 * new run fixes: the request queue the watchers fill, with the run in the job id (`requestJobId`), so a rerun
 * queued twice is one job. The queue is opened on the first rerun.
 */
export function createRerunQueue(connection: Redis): RerunQueue {
  let requests: Queue<RequestJobData, RequestJobResult> | undefined
  return {
    async add(request) {
      requests ??= openRequestQueue(connection)
      const run = (request.run ?? 0) + 1
      const next = { ...request, run, seenAt: Date.now() }
      await requests.add('request', next, { jobId: requestJobId(next) })
      return run
    },
    async close() {
      await requests?.close()
    },
  }
}

/** The consumer's refusals a new run can fix: the chain moved on (an upgrade, a lapsed admission) after the run. */
export type RerunReason = 'CodeHashMismatch' | 'WorkerNotActive'

/**
 * Why the request of a refused delivery should run again, or undefined when it should not: the refusal is one a
 * new run fixes (the answer was right for the chain the worker read) and the request ran fewer than `maxReruns`
 * times again.
 */
export function rerunReasonOf(
  error: unknown,
  run: number | undefined,
  maxReruns: number,
): RerunReason | undefined {
  if (!(error instanceof DeliveryRejectedError)) return undefined
  const { reason } = error
  return (reason === 'CodeHashMismatch' || reason === 'WorkerNotActive') && (run ?? 0) < maxReruns
    ? reason
    : undefined
}
