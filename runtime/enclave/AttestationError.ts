import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

/** Which check of `verifyAttestation` failed. Stable: verifiers and the CLI report it. */
export type AttestationFailureReason =
  /** The quote bytes cannot be parsed, or are of an unsupported version, TEE or key type. */
  | 'QUOTE_MALFORMED'
  /** The quote (or its QE report) is not signed by the key its certificate chain vouches for. */
  | 'SIGNATURE_INVALID'
  /** The collateral is malformed, its signatures or certificate chains do not verify, or it is for another platform. */
  | 'COLLATERAL_INVALID'
  /** The collateral (TCB info, QE identity, a certificate or CRL) is not valid at the verification time. */
  | 'COLLATERAL_EXPIRED'
  /** A certificate of the chain is revoked. */
  | 'CERTIFICATE_REVOKED'
  /** The TCB status is not in the allowed list (or is `Revoked`). */
  | 'STATUS_NOT_ALLOWED'
  /** The TEE runs in debug mode or with attributes that void its guarantees. */
  | 'DEBUG_OR_INSECURE_ATTRIBUTES'
  /** report_data differs from the expected 64 bytes. */
  | 'REPORT_DATA_MISMATCH'
  /** A pinned measurement (MRTD, RTMR0-3, MRENCLAVE, MRSIGNER) differs. */
  | 'MEASUREMENT_MISMATCH'
  /** A `dev` attestation was given and the verifier did not opt in with `allowDev`. */
  | 'DEV_NOT_ALLOWED'

/** An attestation was rejected; `reason` says exactly which check failed. */
export class AttestationError extends BaseError<AttestationFailureReason> {
  override name = 'AttestationError'
  readonly reason: AttestationFailureReason

  constructor(shortMessage: string, parameters: BaseErrorParameters<AttestationFailureReason>) {
    super(shortMessage, parameters)
    this.reason = parameters.code
  }
}
