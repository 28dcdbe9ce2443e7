import { TimeoutError } from './TimeoutError.js'

export type WithTimeoutParameters<T> = {
  timeoutMs: number
} & (
  | {
      /** The error to reject with when time runs out; by default a `TimeoutError` (`TIMEOUT`). */
      error?: (() => Error) | undefined
      fallback?: undefined
    }
  | {
      /** The value to resolve with when time runs out, instead of rejecting. */
      fallback: () => T
      error?: undefined
    }
)

/**
 * `promise`, or, after `timeoutMs`, `error()` (a rejection) or `fallback()` (a value). The timer is cleared as
 * soon as either settles. The promise that loses may still reject later; that is not an unhandled rejection.
 * Used wherever a call may hang: ethers' socket providers never settle a call whose socket died, and BullMQ's
 * connections wait for Redis to come back rather than fail.
 */
export function withTimeout<T>(promise: Promise<T>, parameters: WithTimeoutParameters<T>): Promise<T> {
  const { timeoutMs, error, fallback } = parameters
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      if (fallback) resolve(fallback())
      else reject(error ? error() : new TimeoutError(`no answer after ${timeoutMs} ms`))
    }, timeoutMs)
  })
  promise.catch(() => {})
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
