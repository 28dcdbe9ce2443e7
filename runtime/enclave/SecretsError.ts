import { BaseError } from '../errors/BaseError.js'

export type SecretsErrorCode =
  /** The ciphertext is malformed, for another worker key, another function, or was altered. */
  | 'SECRETS_INVALID'
  /** The plaintext given to encrypt is not a JSON object of strings. */
  | 'SECRETS_NOT_AN_OBJECT'

/**
 * Secrets could not be encrypted or opened. Messages never contain a secret value, a decrypted byte or a
 * key: only sizes, field names and what to do.
 */
export class SecretsError extends BaseError<SecretsErrorCode> {
  override name = 'SecretsError'
}
