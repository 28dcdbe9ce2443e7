import { BaseError } from '../../runtime/errors/BaseError.js'

/** A call to a node did not answer in time (a hung or unreachable RPC). */
export class RpcTimeoutError extends BaseError {
  override name = 'RpcTimeoutError'
  constructor(what: string, timeoutMs: number) {
    super(`${what} did not answer in time.`, {
      code: 'RPC_TIMEOUT',
      details: `No answer after ${timeoutMs} ms.`,
      hint: 'Check that the node is up and reachable; teefn retries on its own.',
    })
  }
}

/**
 * `promise`, or a `RpcTimeoutError` after `timeoutMs`. ethers' socket providers never settle a call whose
 * socket died, so every call over a WebSocket goes through this.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RpcTimeoutError(what, timeoutMs)), timeoutMs)
  })
  // The losing promise may still reject later; that is not an unhandled rejection.
  promise.catch(() => {})
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
