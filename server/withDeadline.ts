import { ApiError } from './ApiError.js'

/**
 * Answers 503 when Redis does not answer in time. BullMQ connections wait for Redis to come back rather than
 * fail (`maxRetriesPerRequest: null`), which would hold an API caller forever while Redis is down.
 */
export async function withDeadline<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ApiError(
            'UNAVAILABLE',
            `the job queue or the function store did not answer within ${timeoutMs} ms; retry later.`,
          ),
        ),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([operation, deadline])
  } finally {
    clearTimeout(timer)
  }
}
