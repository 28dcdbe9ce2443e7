import type { ChainReadErrorCode } from '../chain/ChainReadError.js'
import type { SubstrateRemarkErrorCode } from '../chain/substrate/SubstrateRemarkError.js'
import type { AttestationFailureReason } from '../enclave/AttestationError.js'
import type { EnvelopeFailureReason } from '../enclave/EnvelopeError.js'
import type { SealedKeyFileErrorCode } from '../enclave/SealedKeyFileError.js'
import type { SecretsErrorCode } from '../enclave/SecretsError.js'
import type { TeeProviderErrorCode } from '../enclave/TeeProviderError.js'
import type { FetchErrorCode } from '../http/FetchError.js'
import type { InvocationErrorCode } from '../resultStatus.js'
import type { FunctionStoreErrorCode } from '../store/FunctionStoreError.js'
import type { GelatoStorageErrorCode } from '../store/GelatoStorageError.js'
import type { WorkerRetryCode } from '../worker/WorkerRetryError.js'

/**
 * Every code an error of the runtime layer carries: the layer's one catalogue (the API's is `apiErrorCodes`,
 * the contracts' `ContractsErrorCode`). A class with several codes documents them in its own union, named here;
 * the codes of classes with one code, and of plain `BaseError`s, are listed and described below. A new code goes
 * into its class's union, or here.
 */
export type RuntimeErrorCode =
  | AttestationFailureReason
  | ChainReadErrorCode
  | EnvelopeFailureReason
  | FetchErrorCode
  | FunctionStoreErrorCode
  | GelatoStorageErrorCode
  /** A function's outcome (`TIMEOUT`, `MEMORY_LIMIT`, ...), signed in its envelope. */
  | InvocationErrorCode
  | SealedKeyFileErrorCode
  | SecretsErrorCode
  | SubstrateRemarkErrorCode
  | TeeProviderErrorCode
  | WorkerRetryCode
  | SingleRuntimeErrorCode

/** The codes of runtime errors that have one code each. */
export type SingleRuntimeErrorCode =
  /** A per-call limit above the operator maximum (`LimitExceedsMaximumError`). */
  | 'LIMIT_EXCEEDS_MAXIMUM'
  /** A limit that is not a positive whole number (`InvalidLimitError`). */
  | 'INVALID_LIMIT'
  /** An invocation reached a closed sandbox pool (`PoolClosedError`). */
  | 'POOL_CLOSED'
  /** Sandbox threads keep failing to start (`SandboxStartError`). */
  | 'SANDBOX_START_FAILED'
  /** The host used a sandbox out of its one-invocation lifecycle (`SandboxStateError`). */
  | 'SANDBOX_STATE_INVALID'
  /** A file of `sandbox/guest/src` is not one `export default function` (`GuestSourceError`). */
  | 'GUEST_SOURCE_INVALID'
  /** An allowed-host entry that is not a host, an address or either with a port (`InvalidAllowHostError`). */
  | 'INVALID_ALLOW_HOST'
  /** A list of HTTP mocks with a malformed entry (`HttpMockError`). */
  | 'HTTP_MOCK_INVALID'
  /** An HTTP caller is at its concurrency quota; the job waits its turn (`CallerBusyError`). */
  | 'CALLER_BUSY'
  /** The worker does not serve the chain a job names (`WorkerRefusalError`). */
  | 'CHAIN_NOT_SERVED'
  /** A pinned function of the static registry is not bytes32. */
  | 'INVALID_FUNCTION_REGISTRY'
  /** The substrate chain reader was used after `close()`. */
  | 'READER_CLOSED'
  /** The substrate chain reader's configuration (its wsUrls, its rpcQuorum) does not hold together. */
  | 'INVALID_CHAIN_READER_PARAMETERS'
  /** A field of `computeEvmRequestId` is out of its Solidity type's range. */
  | 'REQUEST_ID_PARAMETERS_INVALID'
  /** A JSON-RPC error answer (`RpcError`). */
  | 'RPC_ERROR'
  /** A node answered what is not JSON-RPC, or not the call's answer (`RpcTransportError`). */
  | 'RPC_BAD_RESPONSE'
  /** A node could not be reached, or did not answer in time (`RpcTransportError`). */
  | 'RPC_UNREACHABLE'
  /** A function scope with a malformed field (`FunctionScopeError`). */
  | 'FUNCTION_SCOPE_INVALID'
  /** An owner record with a malformed field (`OwnerRecordError`). */
  | 'OWNER_RECORD_INVALID'
  /** The expected worker is neither a key nor an address (`verifyEnvelope`). */
  | 'INVALID_WORKER'
  /** Worker public keys or measurement are malformed (`encodeReportData`). */
  | 'INVALID_WORKER_KEYS'
  /** `deriveSecret` got no function key, or a path that is not a string or too long. */
  | 'DERIVE_SECRET_INVALID'
  /** Something waited for did not settle in time (`TimeoutError`, `withTimeout`'s default). */
  | 'TIMEOUT'
