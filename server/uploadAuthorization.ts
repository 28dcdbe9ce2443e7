import { getAddress, verifyMessage } from 'ethers'
import { ApiError } from './ApiError.js'
import type { ApiKeyMatch } from './apiKeys.js'
import { ownerHeader, signatureHeader, timestampHeader, uploadAuthorizationMessage } from './uploadMessage.js'

type Hex = `0x${string}`

export type UploadAuthorizationPolicy = {
  /** How old a signature may be, in seconds. Default 300. */
  maxAgeSeconds?: number | undefined
  /** How far in the future a timestamp may be (clock skew), in seconds. Default 30. */
  maxSkewSeconds?: number | undefined
  /** When set, only these owners (EVM addresses) may upload with a signature; API keys are not affected. */
  allowedOwners?: readonly string[] | undefined
}

export type AuthorizeUploadParameters = {
  codeHash: Hex
  headers: { owner?: string | undefined; timestamp?: string | undefined; signature?: string | undefined }
  /** The operator API key presented, already checked (`createApiKeyMatcher`). */
  apiKey: ApiKeyMatch | undefined
  /** Whether an API key header was sent at all (a wrong one is refused, not ignored). */
  apiKeyPresented: boolean
  policy: UploadAuthorizationPolicy
  /** Unix seconds; `Date.now() / 1000` by default. */
  now?: number | undefined
}

export type UploadAuthorization =
  | { method: 'owner-signature'; owner: Hex }
  | { method: 'api-key'; keyId: string; owner: Hex | undefined }

/**
 * Decides whether an upload may be stored: an operator API key, or the owner's EIP-191 signature of
 * `uploadAuthorizationMessage(codeHash, timestamp)` with a recent timestamp. The owner is declared in a
 * header and must be the signer (a signature over anything else recovers to another address).
 */
export function authorizeUpload({
  codeHash,
  headers,
  apiKey,
  apiKeyPresented,
  policy,
  now = Math.floor(Date.now() / 1000),
}: AuthorizeUploadParameters): UploadAuthorization {
  const declaredOwner =
    headers.owner === undefined ? undefined : (getAddress(headers.owner.toLowerCase()) as Hex)
  if (apiKeyPresented) {
    if (!apiKey) throw new ApiError('API_KEY_INVALID', 'the API key is not one this server accepts.')
    return { method: 'api-key', keyId: apiKey.id, owner: declaredOwner }
  }
  if (headers.signature === undefined || headers.timestamp === undefined || declaredOwner === undefined) {
    throw new ApiError(
      'UNAUTHORIZED',
      `an upload needs the owner's signature (${ownerHeader}, ${timestampHeader}, ${signatureHeader}) or an operator API key (${'x-api-key'}).`,
      {
        hint: `Sign "${uploadAuthorizationMessage(codeHash, now)}" (EIP-191) with the owner key, or use teefn deploy --key.`,
      },
    )
  }
  const timestamp = Number(headers.timestamp)
  const maxAge = policy.maxAgeSeconds ?? 300
  const maxSkew = policy.maxSkewSeconds ?? 30
  if (timestamp > now + maxSkew) {
    throw new ApiError(
      'SIGNATURE_EXPIRED',
      `the signed timestamp ${timestamp} is ${timestamp - now} s in the future (at most ${maxSkew} s of clock skew is accepted).`,
      { hint: "Check the signer's clock." },
    )
  }
  if (timestamp < now - maxAge) {
    throw new ApiError(
      'SIGNATURE_EXPIRED',
      `the signature is stale: signed at ${timestamp}, ${now - timestamp} s ago; at most ${maxAge} s is accepted.`,
      { hint: 'Sign again with the current time.' },
    )
  }
  let signer: Hex
  try {
    signer = verifyMessage(uploadAuthorizationMessage(codeHash, timestamp), headers.signature) as Hex
  } catch {
    throw new ApiError('SIGNATURE_INVALID', 'the signature is not a valid 65-byte secp256k1 signature.')
  }
  if (signer !== declaredOwner) {
    throw new ApiError(
      'SIGNATURE_INVALID',
      `the signature does not come from ${declaredOwner} for "${uploadAuthorizationMessage(codeHash, timestamp)}".`,
      { hint: 'Sign exactly this message with the owner key (the bundle bytes decide the codeHash).' },
    )
  }
  if (
    policy.allowedOwners &&
    !policy.allowedOwners.some((owner) => owner.toLowerCase() === signer.toLowerCase())
  ) {
    throw new ApiError('OWNER_NOT_ALLOWED', `${signer} may not upload functions to this server.`)
  }
  return { method: 'owner-signature', owner: signer }
}
