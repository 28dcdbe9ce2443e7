import { BaseError } from '../errors/BaseError.js'

/**
 * An HTTP caller already has as many invocations running as its quota allows: the job waits its turn (the
 * worker puts it back, delayed by `retryAfterMs`, without counting an attempt), and nothing is signed yet.
 */
export class CallerBusyError extends BaseError {
  override name = 'CallerBusyError'
  readonly retryAfterMs: number

  constructor(message: string, retryAfterMs: number) {
    super(message, {
      code: 'CALLER_BUSY',
      hint: 'Nothing to do: the job runs once one of the same caller finishes.',
    })
    this.retryAfterMs = retryAfterMs
  }
}
