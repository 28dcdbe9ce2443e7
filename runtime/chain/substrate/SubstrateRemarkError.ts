import { BaseError } from '../../errors/BaseError.js'

/** Stable codes of the remark protocol's own failures. */
export type SubstrateRemarkErrorCode =
  /** Bytes meant to become a request or result remark, or a request id's inputs, are not valid (wrong length, too large). */
  'INVALID_REMARK_INPUT'

/** Input the remark protocol cannot encode or hash (a caller's mistake, never chain data: that decodes as `malformed`). */
export class SubstrateRemarkError extends BaseError<SubstrateRemarkErrorCode> {
  override name = 'SubstrateRemarkError'
}
