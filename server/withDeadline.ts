import { withTimeout } from '../runtime/async/withTimeout.js'
import { ApiError } from './ApiError.js'

/**
 * Answers 503 when Redis does not answer in time. BullMQ connections wait for Redis to come back rather than
 * fail (`maxRetriesPerRequest: null`), which would hold an API caller forever while Redis is down.
 */
export function withDeadline<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  return withTimeout(operation, {
    timeoutMs,
    error: () =>
      new ApiError(
        `the job queue or the function store did not answer within ${timeoutMs} ms; retry later.`,
        { code: 'UNAVAILABLE' },
      ),
  })
}
