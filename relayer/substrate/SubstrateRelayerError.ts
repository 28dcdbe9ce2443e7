import { BaseError } from '../../runtime/errors/BaseError.js'

/** Stable codes of the Substrate adapter's own failures. */
export type SubstrateRelayerErrorCode =
  /** The relayer configuration is incomplete or has a wrong value. */
  | 'INVALID_SUBSTRATE_CONFIG'
  /** The node could not be reached, or answered something unusable. */
  | 'SUBSTRATE_UNAVAILABLE'
  /** A block or extrinsic named by the caller does not exist. */
  | 'SUBSTRATE_NOT_FOUND'
  /** A delivery extrinsic was refused, dropped, failed, or not included in time. */
  | 'DELIVERY_NOT_INCLUDED'
  /** A previous delivery attempt is still in the transaction pool: wait instead of sending again. */
  | 'DELIVERY_STILL_PENDING'

/** A failure of the Substrate relayer (watcher, submitter, chain reads). */
export class SubstrateRelayerError extends BaseError<SubstrateRelayerErrorCode> {
  override name = 'SubstrateRelayerError'
}
