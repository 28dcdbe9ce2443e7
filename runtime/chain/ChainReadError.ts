import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

/** Why a chain read failed; `retryable` says whether trying again later may succeed. */
export type ChainReadErrorCode =
  /** Fewer than the quorum of endpoints gave the same answer (disagreement, errors or timeouts). */
  | 'RPC_QUORUM_NOT_REACHED'
  /** The request is not yet buried under the configured confirmations. */
  | 'REQUEST_NOT_CONFIRMED'
  /** The endpoints agree that the request is not on the canonical chain (or its content does not match its id). */
  | 'REQUEST_NOT_ON_CHAIN'
  /** An endpoint serves another chain than the one configured. */
  | 'RPC_WRONG_CHAIN'
  /** An endpoint answered what cannot be right (no header for its own finalized head); another may do better. */
  | 'RPC_INVALID_ANSWER'
  /** The consumer no longer accepts an answer: answered already, cancelled, or past its deadline. */
  | 'REQUEST_NOT_PENDING'
  /** The contract that emitted the request is not a registered consumer (never signed up, or left). */
  | 'CONSUMER_NOT_REGISTERED'

const retryableCodes: ReadonlySet<ChainReadErrorCode> = new Set([
  'RPC_QUORUM_NOT_REACHED',
  'REQUEST_NOT_CONFIRMED',
  'RPC_WRONG_CHAIN',
  'RPC_INVALID_ANSWER',
])

/**
 * A read the enclave could not trust: nothing may be signed on it. Retryable codes mean "later"; a final one
 * means the chain itself says no.
 */
export class ChainReadError extends BaseError<ChainReadErrorCode> {
  override name = 'ChainReadError'
  readonly retryable: boolean

  constructor(shortMessage: string, parameters: BaseErrorParameters<ChainReadErrorCode>) {
    super(shortMessage, parameters)
    this.retryable = retryableCodes.has(parameters.code)
  }
}
