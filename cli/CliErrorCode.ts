import type { ApiErrorCode } from '../server/errorCodes.js'

/**
 * Every code an error of the `teefn` command carries: the CLI layer's one catalogue. What the API answers is
 * passed on with the API's own code (`apiErrorCodes`); what the runtime raises keeps its `RuntimeErrorCode`.
 */
export type CliErrorCode =
  /** The command line is wrong: exit code 2 (`UsageError`). */
  | 'USAGE'
  /** The node config file does not validate (`ConfigError`). */
  | 'CONFIG_INVALID'
  /** esbuild failed, the bundle has no default export, or it is over 1 MiB (`BundleError`). */
  | 'BUNDLE_FAILED'
  /** What a server serves as its worker's attestation is not of the right form (`WorkerAttestationError`). */
  | 'ATTESTATION_MALFORMED'
  /** The server cannot be reached. */
  | 'SERVER_UNREACHABLE'
  /** The server answered without JSON. */
  | 'BAD_ANSWER'
  /** The server stored the uploaded bundle under another codeHash than the CLI computed. */
  | 'CODE_HASH_MISMATCH'
  /** An API error answer (`ApiRequestError`), with the API's code, or `HTTP_ERROR` when it sent none. */
  | ApiErrorCode
  | 'HTTP_ERROR'
