import { BaseError } from '../../runtime/errors/BaseError.js'

/**
 * A call to a node did not answer in time (a hung or unreachable RPC). ethers' socket providers never settle a
 * call whose socket died, so every call over a WebSocket is bounded with `withTimeout` and this error.
 */
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
