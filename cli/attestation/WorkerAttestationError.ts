import { BaseError } from '../../runtime/errors/BaseError.js'

/**
 * What a server serves as its worker's attestation is not even of the right form (a missing key, a key of the
 * wrong length, keys that do not belong together): nothing in it can be checked, so nothing is trusted.
 */
export class WorkerAttestationError extends BaseError<'ATTESTATION_MALFORMED'> {
  override name = 'WorkerAttestationError'
  /** The same as `code`, like `AttestationError.reason`, so both print alike. */
  readonly reason = 'ATTESTATION_MALFORMED'

  constructor(details: string) {
    super('The served attestation is malformed.', {
      code: 'ATTESTATION_MALFORMED',
      details,
      hint: 'Point at a teefn server (its /v1/attestation) or a file holding what it serves.',
    })
  }
}
