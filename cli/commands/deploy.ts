import { BaseError } from '../../runtime/errors/BaseError.js'
import { apiKeyHeader } from '../../server/apiKeys.js'
import {
  nodeOrigin,
  ownerHeader,
  signatureHeader,
  timestampHeader,
  uploadAuthorizationMessage,
} from '../../server/uploadMessage.js'
import { functionCode } from '../build/functionCode.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { callApi, resolveServerUrl } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'
import { createProgress } from './progress.js'

type DeployOptions = {
  server?: string
  key?: string
  apiKey?: string
  owner?: string
  minify?: boolean
  json?: boolean
}

/** What the server answers an upload with. */
type UploadAnswer = { codeHash: string; bytes: number; owner?: string; uploadedAt: number; created: boolean }

/** `teefn deploy <entry|bundle>`: bundles when needed, uploads with the owner's signature, prints the codeHash. */
export async function deployAction(entry: string, options: DeployOptions): Promise<void> {
  const server = resolveServerUrl(options.server)
  const progress = createProgress(options)
  if (options.key !== undefined && options.apiKey !== undefined) {
    throw new UsageError('pass --key or --api-key, not both')
  }
  const apiKey = options.key === undefined ? (options.apiKey ?? process.env.TEEFN_API_KEY) : undefined
  if (options.key === undefined && !apiKey) {
    throw new UsageError(
      'deploy needs the owner key (--key <file>) or an operator API key (--api-key, TEEFN_API_KEY)',
    )
  }
  if (options.owner !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(options.owner)) {
    throw new UsageError('--owner must be an EVM address (0x + 40 hex digits)')
  }
  const owner = options.key === undefined ? undefined : await readOwnerKey({ key: options.key })

  progress(`bundling ${entry}`)
  const { bytes, codeHash, bundled } = await functionCode({ entry, minify: options.minify })

  const headers: Record<string, string> = {}
  if (owner) {
    const timestamp = Math.floor(Date.now() / 1000)
    headers[ownerHeader] = owner.address
    headers[timestampHeader] = String(timestamp)
    // The signature names this server: no other node accepts it.
    headers[signatureHeader] = await owner.signMessage(
      uploadAuthorizationMessage(codeHash, timestamp, nodeOrigin(server)),
    )
  } else {
    headers[apiKeyHeader] = apiKey!
    if (options.owner !== undefined) headers[ownerHeader] = options.owner
  }
  progress(`uploading ${bytes.byteLength} bytes to ${server}`)
  const { body } = await callApi<UploadAnswer>({
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
  if (options.json) {
    printJson({
      codeHash,
      bytes: body.bytes,
      created: body.created,
      owner: body.owner ?? null,
      server,
      bundled,
    })
    return
  }
  process.stdout.write(
    [
      `${body.created ? 'uploaded' : 'already uploaded'}: ${body.bytes} bytes to ${server}`,
      `codeHash ${codeHash}`,
      ...(body.owner ? [`owner ${body.owner}`] : []),
      '',
    ].join('\n'),
  )
}
