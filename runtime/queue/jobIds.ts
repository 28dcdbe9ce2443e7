import type { RequestJobData } from './jobs.js'

/**
 * The job id of a request: derived from the request itself, so a request seen twice (a watcher restart,
 * a backfill overlapping a subscription) is one job. Its delivery uses the same id on its own queue.
 */
export function requestJobId({
  trigger,
  chainId,
  destination,
  requestId,
}: Pick<RequestJobData, 'trigger' | 'chainId' | 'destination' | 'requestId'>): string {
  return [trigger, chainId, destination, requestId].join('-').toLowerCase()
}
