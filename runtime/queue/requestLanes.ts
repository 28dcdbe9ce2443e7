import type { Job, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { RequestJobData, RequestJobResult } from './jobs.js'
import type { RequestLane } from './names.js'
import { type OpenRequestQueueOptions, openRequestQueue } from './queues.js'

/** Both request queues, by lane: what the API adds to and reads from. */
export type RequestQueues = Record<RequestLane, Queue<RequestJobData, RequestJobResult>>

/** The lane a request travels in: HTTP invocations in theirs, every chain's requests in the chain lane. */
export function requestLaneOf({ trigger }: Pick<RequestJobData, 'trigger'>): RequestLane {
  return trigger === 'http' ? 'http' : 'chain'
}

/** Both request queues, opened with the same options (`openRequestQueue`). */
export function openRequestQueues(
  connection: Redis,
  options: Omit<OpenRequestQueueOptions, 'lane'> = {},
): RequestQueues {
  return {
    chain: openRequestQueue(connection, { ...options, lane: 'chain' }),
    http: openRequestQueue(connection, { ...options, lane: 'http' }),
  }
}

/**
 * A request job by its id, in either lane. Job ids name their trigger first (`requestJobId`), so an `http-` id is
 * looked up in the HTTP lane, then in the chain lane, where HTTP jobs queued before the lanes existed still are.
 */
export async function getRequestJob(
  queues: RequestQueues,
  jobId: string,
): Promise<Job<RequestJobData, RequestJobResult> | undefined> {
  if (jobId.startsWith('http-')) {
    const job = await queues.http.getJob(jobId)
    if (job) return job
  }
  return (await queues.chain.getJob(jobId)) ?? undefined
}

/** Closes both queues. */
export async function closeRequestQueues(queues: RequestQueues): Promise<void> {
  await Promise.all([queues.chain.close(), queues.http.close()])
}
