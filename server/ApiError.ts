import { BaseError } from '../runtime/errors/BaseError.js'

/**
 * A refusal the API answers with `{ error: { code, message } }` and an HTTP status. The message is written
 * for the caller and never holds a secret, a key or an internal detail.
 */
export class ApiError extends BaseError {
  override name = 'ApiError'
  readonly statusCode: number

  constructor(statusCode: number, code: string, message: string, options: { hint?: string } = {}) {
    super(message, { code, hint: options.hint })
    this.statusCode = statusCode
  }
}
