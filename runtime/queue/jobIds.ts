import type { RequestJobData } from './jobs.js'

/**
 * The job id of a request: derived from the request itself, so a request seen twice (a watcher restart,
 * a backfill overlapping a subscription) is one job. Its delivery uses the same id on its own queue. A re-run
 * (the chain refused the first answer: an upgrade or an expired admission in between) gets `-r<run>`.
 */
export function requestJobId({
  trigger,
  chainId,
  destination,
  requestId,
  run,
}: Pick<RequestJobData, 'trigger' | 'chainId' | 'destination' | 'requestId' | 'run'>): string {
  const id = [trigger, chainId, destination, requestId].join('-').toLowerCase()
  return run ? `${id}-r${run}` : id
}
