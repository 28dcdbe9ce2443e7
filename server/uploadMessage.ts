/** Headers of an owner-signed upload (and of an owner-signed job read). */
export const ownerHeader = 'x-teefn-owner'
export const timestampHeader = 'x-teefn-timestamp'
export const signatureHeader = 'x-teefn-signature'
/** The capability token an HTTP invocation answers with, sent back to read its job. */
export const jobTokenHeader = 'x-teefn-job-token'

/**
 * The node an owner signs for: the origin (`scheme://host[:port]`, lowercase, default port left out) of the URL
 * callers reach it at. A signature names it, so one captured on a node is refused by every other.
 */
export function nodeOrigin(url: string): string {
  return new URL(url).origin
}

/**
 * The text an owner signs to upload a bundle (EIP-191 `personal_sign`):
 * `teefn upload <codeHash, lowercase 0x-hex> at <unix seconds> to <node origin>`.
 */
export function uploadAuthorizationMessage(codeHash: string, timestamp: number, origin: string): string {
  return `teefn upload ${codeHash.toLowerCase()} at ${timestamp} to ${origin}`
}

/**
 * The text a function's owner signs to read one of its jobs in full (logs, result, failure):
 * `teefn jobs <job id> at <unix seconds> to <node origin>`.
 */
export function jobReadMessage(jobId: string, timestamp: number, origin: string): string {
  return `teefn jobs ${jobId} at ${timestamp} to ${origin}`
}
