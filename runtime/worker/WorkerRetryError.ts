import { BaseError } from '../errors/BaseError.js'

/** Why the worker put a job back without signing anything. */
export type WorkerRetryCode =
  /** The registry names code whose bundle this node does not have (yet): never signed as final. */
  | 'BUNDLE_MISSING'
  /** This worker is not (or no longer) admitted at the confirmed head: a signature would be refused. */
  | 'WORKER_NOT_ADMITTED'

/** A job the worker could not answer now, but may later: BullMQ retries it until the retry horizon. */
export class WorkerRetryError extends BaseError<WorkerRetryCode> {
  override name = 'WorkerRetryError'
}

/** A job the worker must never answer (a chain it does not serve): failed at once, nothing signed. */
export class WorkerRefusalError extends BaseError {
  override name = 'WorkerRefusalError'
}
