import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

export type SealedKeyFileErrorCode =
  /** The file cannot be read (permissions, a directory, I/O). */
  | 'SEALED_KEY_FILE_UNREADABLE'
  /** The file is not a teefn dev sealed key file, or it is truncated or altered in its structure. */
  | 'SEALED_KEY_FILE_CORRUPT'
  /** The file is a newer or unknown format version. */
  | 'SEALED_KEY_FILE_UNSUPPORTED'
  /** Authenticated decryption failed: another passphrase, another worker's file, or altered bytes. */
  | 'SEALED_KEY_FILE_UNSEAL_FAILED'
  /** Group or others may read the file. */
  | 'SEALED_KEY_FILE_PERMISSIONS'

/** The dev provider's sealed key file was refused; `file` names it, the hint says what to do. */
export class SealedKeyFileError extends BaseError<SealedKeyFileErrorCode> {
  override name = 'SealedKeyFileError'
  readonly file: string

  constructor(
    shortMessage: string,
    parameters: BaseErrorParameters<SealedKeyFileErrorCode> & { file: string; hint: string },
  ) {
    super(shortMessage, parameters)
    this.file = parameters.file
  }
}
