import { BaseError } from '../runtime/errors/BaseError.js'

/**
 * Every code the contracts layer (compiling, loading and deploying the Solidity contracts, assembling quorum
 * envelopes) fails with.
 */
export type ContractsErrorCode =
  /** No directory above the start holds package.json and contracts/src. */
  | 'CONTRACTS_ROOT_NOT_FOUND'
  /** contracts/src is missing. */
  | 'SOLIDITY_SOURCES_MISSING'
  /** solc reported errors. */
  | 'SOLIDITY_COMPILE_FAILED'
  /** Two sources define a contract of the same name (artifacts are keyed by name). */
  | 'SOLIDITY_DUPLICATE_CONTRACT'
  /** A contract name that is not a Solidity identifier. */
  | 'CONTRACT_NAME_INVALID'
  /** The compiled artifact is not there (the contracts were not built). */
  | 'CONTRACT_ARTIFACT_MISSING'
  /** An interface or abstract contract: no bytecode to deploy. */
  | 'CONTRACT_NOT_DEPLOYABLE'
  /** The deployment transaction reverted. */
  | 'CONTRACT_DEPLOY_REVERTED'
  /** The deployment transaction was not mined in time. */
  | 'CONTRACT_DEPLOY_TIMEOUT'
  /** Two answers (or gatekeeper signatures) of one quorum come from the same key. */
  | 'QUORUM_DUPLICATE_SIGNER'
  /** Envelopes given for one quorum answer different requests, functions, payloads or code. */
  | 'QUORUM_MIXED_ENVELOPES'
  /** A quorum envelope needs 1 to 32 answers. */
  | 'QUORUM_ANSWER_COUNT'

/** Compiling, loading or deploying a teefn contract failed; `code` says which step. */
export class ContractsError extends BaseError<ContractsErrorCode> {
  override name = 'ContractsError'
}
