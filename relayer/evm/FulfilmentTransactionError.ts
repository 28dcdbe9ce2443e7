import { BaseError } from '../../runtime/errors/BaseError.js'

/** A fulfilment transaction reverted as a whole, was not mined in time, or said nothing of an envelope. Retried. */
export class FulfilmentTransactionError extends BaseError {
  override name = 'FulfilmentTransactionError'
}
