import { BaseError } from '../errors/BaseError.js'

export type GelatoStorageErrorCode =
  /** The sealed storage does not open for this function with this worker's key: altered, moved or foreign. */
  | 'GELATO_STORAGE_UNREADABLE'
  /** Another run of the same function wrote its storage first: this run's update was refused. */
  | 'GELATO_STORAGE_CONFLICT'

/** A Gelato function's persisted storage could not be read or written. Never carries a storage value. */
export class GelatoStorageError extends BaseError<GelatoStorageErrorCode> {
  override name = 'GelatoStorageError'
}
