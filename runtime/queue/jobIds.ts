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

/**
 * A job's id for display: its trigger and the first 10 hex digits of its request id (`evm:1f2e3d4c5b`), with the
 * run (`evm:1f2e3d4c5b/r2`). Enough to tell jobs apart on a screen; the API takes the full id.
 */
export function shortJobId({
  trigger,
  requestId,
  run,
}: Pick<RequestJobData, 'trigger' | 'requestId' | 'run'>): string {
  const short = `${trigger}:${requestId.slice(2, 12).toLowerCase()}`
  return run ? `${short}/r${run}` : short
}
