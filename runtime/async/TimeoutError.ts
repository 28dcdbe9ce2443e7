import { BaseError } from '../errors/BaseError.js'

export type TimeoutErrorParameters = {
  /** Stable code; `TIMEOUT` unless the caller's layer has its own. */
  code?: string | undefined
  details?: string | undefined
  hint?: string | undefined
}

/** Something teefn waited for did not settle in time (`withTimeout`'s default rejection). */
export class TimeoutError extends BaseError {
  override name = 'TimeoutError'
  constructor(shortMessage: string, { code = 'TIMEOUT', details, hint }: TimeoutErrorParameters = {}) {
    super(shortMessage, { code, details, hint })
  }
}
