import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

/** Why an envelope was refused. Stable: the CLI and the relayer report it. */
export type EnvelopeFailureReason =
  /** Not an envelope: a field is missing or has the wrong form. */
  | 'ENVELOPE_MALFORMED'
  /** `resultHash` is not keccak256 of `result`: the result bytes were altered. */
  | 'RESULT_ALTERED'
  /** The signature does not verify for the envelope's worker over these fields: a signed field was changed. */
  | 'SIGNATURE_INVALID'
  /** The signature is valid, but by another worker than the one expected. */
  | 'WRONG_SIGNER'
  /** The envelope is for another chain than the one expected. */
  | 'WRONG_CHAIN'
  /** The envelope is for another consumer contract or Substrate destination. */
  | 'WRONG_DESTINATION'
  /** The envelope answers another request. */
  | 'WRONG_REQUEST'
  /** The envelope is for another function. */
  | 'WRONG_FUNCTION'
  /** The envelope was produced by other code than the expected codeHash. */
  | 'WRONG_CODE_HASH'
  /** The envelope answers another payload than the expected payloadHash. */
  | 'WRONG_PAYLOAD'

/** An envelope could not be built or was refused by `verifyEnvelope`. */
export class EnvelopeError extends BaseError<EnvelopeFailureReason> {
  override name = 'EnvelopeError'
  readonly reason: EnvelopeFailureReason

  constructor(shortMessage: string, parameters: BaseErrorParameters<EnvelopeFailureReason>) {
    super(shortMessage, parameters)
    this.reason = parameters.code
  }
}
