import { getAddress } from 'ethers'
import type { Hex } from '../runtime/bytes.js'
import { ApiError } from './ApiError.js'
import type { ApiKeyMatch } from './apiKeys.js'
import { ownerHeader, signatureHeader, timestampHeader, uploadAuthorizationMessage } from './uploadMessage.js'
import { type SignatureWindow, verifyOwnerSignature } from './verifyOwnerSignature.js'

export type UploadAuthorizationPolicy = SignatureWindow & {
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
  /** The node origins a signature may name (`acceptedOrigins`): a signature for another node is refused. */
  origins: readonly string[]
  /** Unix seconds; `Date.now() / 1000` by default. */
  now?: number | undefined
}

export type UploadAuthorization =
  | { method: 'owner-signature'; owner: Hex }
  | { method: 'api-key'; keyId: string; owner: Hex | undefined }

/**
 * Decides whether an upload may be stored: an operator API key, or the owner's EIP-191 signature of
 * `uploadAuthorizationMessage(codeHash, timestamp, origin)` with a recent timestamp and this node's origin. The
 * owner is declared in a header and must be the signer (a signature over anything else recovers to another
 * address), and one of `allowedOwners` when the node lists them.
 */
export function authorizeUpload({
  codeHash,
  headers,
  apiKey,
  apiKeyPresented,
  policy,
  origins,
  now = Math.floor(Date.now() / 1000),
}: AuthorizeUploadParameters): UploadAuthorization {
  const declaredOwner =
    headers.owner === undefined ? undefined : (getAddress(headers.owner.toLowerCase()) as Hex)
  if (apiKeyPresented) {
    if (!apiKey)
      throw new ApiError('the API key is not one this server accepts.', { code: 'API_KEY_INVALID' })
    return { method: 'api-key', keyId: apiKey.id, owner: declaredOwner }
  }
  if (headers.signature === undefined || headers.timestamp === undefined || headers.owner === undefined) {
    throw new ApiError(
      `an upload needs the owner's signature (${ownerHeader}, ${timestampHeader}, ${signatureHeader}) or an operator API key (${'x-api-key'}).`,
      {
        code: 'UNAUTHORIZED',
        hint: `Sign "${uploadAuthorizationMessage(codeHash, now, origins[0] ?? '<this node>')}" (EIP-191) with the owner key, or use teefn deploy --key.`,
      },
    )
  }
  const signer = verifyOwnerSignature({
    headers: { owner: headers.owner, timestamp: headers.timestamp, signature: headers.signature },
    messageFor: (timestamp, origin) => uploadAuthorizationMessage(codeHash, timestamp, origin),
    origins,
    window: policy,
    now,
  })
  if (
    policy.allowedOwners &&
    !policy.allowedOwners.some((owner) => owner.toLowerCase() === signer.toLowerCase())
  ) {
    throw new ApiError(`${signer} may not upload functions to this server.`, {
      code: 'OWNER_NOT_ALLOWED',
      hint: "The node's operator lists who may upload (server.upload.allowedOwners).",
    })
  }
  return { method: 'owner-signature', owner: signer }
}
