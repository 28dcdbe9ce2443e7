import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

export type FunctionStoreErrorCode =
  /** An owner record's version is not above the stored one (a replay, or an update signed out of order). */
  | 'VERSION_NOT_NEWER'
  /** What the store holds under a key does not parse, or is for another scope: the store was written by something else. */
  | 'STORED_RECORD_INVALID'

/** The function store refused a write or holds something it cannot read. Never carries a ciphertext. */
export class FunctionStoreError extends BaseError<FunctionStoreErrorCode> {
  override name = 'FunctionStoreError'
  /** `VERSION_NOT_NEWER`: the version stored now, and the version refused. */
  readonly storedVersion: number | undefined
  readonly version: number | undefined

  constructor(
    shortMessage: string,
    parameters: BaseErrorParameters<FunctionStoreErrorCode> & { storedVersion?: number; version?: number },
  ) {
    super(shortMessage, parameters)
    this.storedVersion = parameters.storedVersion
    this.version = parameters.version
  }
}
