import type { Job } from 'bullmq'
import type { RequestJobData, RequestJobResult } from './jobs.js'
import type { RequestLane } from './names.js'
import type { RequestQueues } from './requestLanes.js'

/** The states a listing reports, in BullMQ's words. */
export const listedJobStates = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const
export type ListedJobState = (typeof listedJobStates)[number]

export type ListRequestJobsParameters = {
  queues: RequestQueues
  /** Only these states; all of `listedJobStates` by default. */
  states?: readonly ListedJobState[] | undefined
  /** Only these lanes; both by default. */
  lanes?: readonly RequestLane[] | undefined
  /** Only jobs of this function: its functionId, or its codeHash (HTTP calls by code). */
  function?: string | undefined
  /** At most this many, newest first. */
  limit: number
  /** How many of each state and lane are read before filtering; 1,000 by default (Redis keeps 2,000). */
  scan?: number | undefined
}

export type ListedJob = { job: Job<RequestJobData, RequestJobResult>; state: ListedJobState }

/**
 * Request jobs of both lanes, newest first, optionally of one function and in some states. Reads at most `scan`
 * jobs per state and lane, so a listing costs a bounded number of Redis reads however many jobs are kept.
 */
export async function listRequestJobs({
  queues,
  states = listedJobStates,
  lanes = ['chain', 'http'],
  function: fn,
  limit,
  scan = 1_000,
}: ListRequestJobsParameters): Promise<ListedJob[]> {
  const wanted = fn?.toLowerCase()
  const groups = await Promise.all(
    states.flatMap((state) =>
      lanes.map(async (lane) =>
        (await queues[lane].getJobs([state], 0, scan - 1, false))
          .filter((job): job is Job<RequestJobData, RequestJobResult> => job !== undefined && job !== null)
          .map((job) => ({ job, state })),
      ),
    ),
  )
  return groups
    .flat()
    .filter(
      ({ job }) =>
        wanted === undefined ||
        job.data.functionId?.toLowerCase() === wanted ||
        job.data.codeHash?.toLowerCase() === wanted,
    )
    .sort((a, b) => b.job.timestamp - a.job.timestamp)
    .slice(0, limit)
}
