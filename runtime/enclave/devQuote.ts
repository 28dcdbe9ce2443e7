import { bytesEqual, concatBytes, utf8 } from '../bytes.js'

/**
 * A `dev` attestation: the ASCII marker below followed by the 64 bytes of report data. It proves nothing
 * (anyone can write one); `verifyAttestation` refuses it unless the verifier passes `allowDev: true`.
 */
export const devQuoteMarker = utf8('TEEFN-DEV-ATTESTATION/v1 NOT-A-TEE\n')

export function createDevQuote(reportData: Uint8Array): Uint8Array {
  return concatBytes(devQuoteMarker, reportData)
}

/** The report data of a dev quote, or undefined when `quote` is not one. */
export function parseDevQuote(quote: Uint8Array): Uint8Array | undefined {
  if (quote.length !== devQuoteMarker.length + 64) return undefined
  if (!bytesEqual(quote.subarray(0, devQuoteMarker.length), devQuoteMarker)) return undefined
  return quote.slice(devQuoteMarker.length)
}

/** Whether `quote` starts like a dev quote (even a malformed one), so it is never fed to the DCAP verifier. */
export function looksLikeDevQuote(quote: Uint8Array): boolean {
  const prefix = devQuoteMarker.subarray(0, 10)
  return quote.length >= prefix.length && bytesEqual(quote.subarray(0, prefix.length), prefix)
}
