import type { Wallet } from 'ethers'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { apiKeyHeader } from '../../server/apiKeys.js'
import {
  nodeOrigin,
  ownerHeader,
  signatureHeader,
  timestampHeader,
  uploadAuthorizationMessage,
} from '../../server/uploadMessage.js'
import { callApi } from './apiClient.js'

export type UploadFunctionParameters = {
  server: string
  /** The bundle's bytes and their codeHash (`functionCode`). */
  bytes: Uint8Array
  codeHash: string
  /** The owner, who signs the upload for this node; or, without one, an operator API key. */
  owner?: Wallet | undefined
  apiKey?: string | undefined
  /** With an API key: the owner the node records. */
  declaredOwner?: string | undefined
}

/** What the server answers an upload with. */
export type UploadFunctionReturnType = {
  codeHash: string
  bytes: number
  owner?: string
  uploadedAt: number
  created: boolean
}

/**
 * Uploads a bundle to a node (`POST /v1/functions`), signed by its owner (the signature names this node, so no
 * other node accepts it) or with an operator API key, and checks the node stored it under the same codeHash.
 */
export async function uploadFunction({
  server,
  bytes,
  codeHash,
  owner,
  apiKey,
  declaredOwner,
}: UploadFunctionParameters): Promise<UploadFunctionReturnType> {
  const headers: Record<string, string> = {}
  if (owner) {
    const timestamp = Math.floor(Date.now() / 1000)
    headers[ownerHeader] = owner.address
    headers[timestampHeader] = String(timestamp)
    headers[signatureHeader] = await owner.signMessage(
      uploadAuthorizationMessage(codeHash, timestamp, nodeOrigin(server)),
    )
  } else {
    headers[apiKeyHeader] = apiKey ?? ''
    if (declaredOwner !== undefined) headers[ownerHeader] = declaredOwner
  }
  const { body } = await callApi<UploadFunctionReturnType>({
    server,
    method: 'POST',
    path: '/v1/functions',
    raw: { body: bytes, contentType: 'application/javascript' },
    headers,
  })
  if (body.codeHash.toLowerCase() !== codeHash) {
    throw new BaseError('The server stored the bundle under another codeHash.', {
      code: 'CODE_HASH_MISMATCH',
      details: `uploaded ${codeHash}, the server answered ${body.codeHash}`,
    })
  }
  return body
}
