import { BaseError } from '../runtime/errors/BaseError.js'

/** A command was called wrongly or named an unreadable file: exit status 2 with a one-line reason. */
export class UsageError extends BaseError {
  override name = 'UsageError'
  constructor(shortMessage: string, hint?: string) {
    super(shortMessage, { code: 'USAGE', hint })
  }
}
