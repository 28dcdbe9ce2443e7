import { BaseError } from '../runtime/errors/BaseError.js'
import { type ApiErrorCode, apiErrorCodes } from './errorCodes.js'

/**
 * A refusal the API answers with `{ error: { code, message } }`; the HTTP status comes from the code's entry in
 * the catalogue (`errorCodes.ts`). The message is written for the caller and never holds a secret, a key, a
 * ciphertext or an internal detail.
 */
export class ApiError extends BaseError<ApiErrorCode> {
  override name = 'ApiError'
  readonly statusCode: number

  constructor(message: string, { code, hint }: { code: ApiErrorCode; hint?: string | undefined }) {
    super(message, { code, hint })
    this.statusCode = apiErrorCodes[code].status
  }
}
