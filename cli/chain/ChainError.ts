import { BaseError } from '../../runtime/errors/BaseError.js'

/** Why a `teefn chain` command failed on the chain (stable; `code` is `CHAIN_<REASON>`). */
export type ChainErrorReason =
  /** The JSON-RPC endpoint did not answer. */
  | 'UNREACHABLE'
  /** The address holds no contract (a wrong --registry, or another chain). */
  | 'NO_CONTRACT'
  /** The contract refused the call (decoded to its custom error when known). */
  | 'REVERTED'
  /** The node refused the nonce after one retry with a fresh one: another process sends from the key. */
  | 'NONCE_CONFLICT'
  /** The sender cannot pay for the gas. */
  | 'INSUFFICIENT_FUNDS'
  /** The node refused the transaction for another reason. */
  | 'REJECTED'
  /** The transaction was not mined in time. */
  | 'TIMEOUT'

export type ChainErrorParameters = {
  reason: ChainErrorReason
  details?: string | undefined
  hint?: string | undefined
  /** The custom error a revert decoded to (`FunctionAlreadyRegistered`), when it did. */
  errorName?: string | undefined
  cause?: unknown
}

/** A chain refused or could not be reached; the message says what, the hint what to do. Never holds a key. */
export class ChainError extends BaseError {
  override name = 'ChainError'
  readonly reason: ChainErrorReason
  readonly errorName: string | undefined
  constructor(shortMessage: string, { reason, details, hint, errorName, cause }: ChainErrorParameters) {
    super(shortMessage, { code: `CHAIN_${reason}`, details, hint, cause })
    this.reason = reason
    this.errorName = errorName
  }
}
