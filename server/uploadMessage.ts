/** Headers of an owner-signed upload. */
export const ownerHeader = 'x-teefn-owner'
export const timestampHeader = 'x-teefn-timestamp'
export const signatureHeader = 'x-teefn-signature'

/**
 * The text an owner signs to upload a bundle (EIP-191 `personal_sign`):
 * `teefn upload <codeHash, lowercase 0x-hex> at <unix seconds>`.
 */
export function uploadAuthorizationMessage(codeHash: string, timestamp: number): string {
  return `teefn upload ${codeHash.toLowerCase()} at ${timestamp}`
}
