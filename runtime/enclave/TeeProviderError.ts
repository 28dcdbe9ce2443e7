import { BaseError } from '../errors/BaseError.js'

export type TeeProviderErrorCode =
  /** No TEE was found and the dev provider was not explicitly allowed. */
  | 'TEE_UNAVAILABLE'
  /** The dstack guest agent answered with an error or an unexpected shape. */
  | 'TEE_AGENT_ERROR'
  /** A caller passed a value of the wrong size or form (the value itself is never echoed). */
  | 'TEE_INVALID_INPUT'
  /** Sealed data could not be opened by this worker. */
  | 'TEE_UNSEAL_FAILED'

/** A TEE provider could not be chosen, reached, or asked to do something. */
export class TeeProviderError extends BaseError<TeeProviderErrorCode> {
  override name = 'TeeProviderError'
}
