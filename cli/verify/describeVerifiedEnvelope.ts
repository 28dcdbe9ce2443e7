import type { VerifyEnvelopeReturnType } from '../../runtime/enclave/verifyEnvelope.js'

/** What `teefn verify --json` reports for a valid envelope: the signer and every signed field. */
export function describeVerifiedEnvelope({ envelope, signer, result }: VerifyEnvelopeReturnType) {
  return {
    valid: true as const,
    signer,
    version: envelope.version,
    family: envelope.family,
    chainId: envelope.chainId,
    destination: envelope.destination,
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status: envelope.status,
    resultHash: envelope.resultHash,
    resultBytes: result.length,
  }
}
