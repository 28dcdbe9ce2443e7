import { BaseError } from '../../runtime/errors/BaseError.js'

export type FulfilmentTransactionErrorCode =
  /** The transaction reverted as a whole. */
  | 'FULFILMENT_REVERTED'
  /** No receipt in time. */
  | 'FULFILMENT_NOT_MINED'
  /** The receipt says nothing of an envelope the transaction carried. */
  | 'FULFILMENT_UNACCOUNTED'
  /** The consumer's `requestInfo` answer cannot be read, so whether the request is pending is unknown. */
  | 'REQUEST_STATE_UNREADABLE'

/** A fulfilment transaction reverted as a whole, was not mined in time, or said nothing of an envelope. Retried. */
export class FulfilmentTransactionError extends BaseError<FulfilmentTransactionErrorCode> {
  override name = 'FulfilmentTransactionError'
}
