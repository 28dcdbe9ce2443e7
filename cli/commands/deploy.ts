import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { functionCode } from '../build/functionCode.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { resolveServerUrl } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'
import { createProgress } from './progress.js'
import { uploadFunction } from './uploadFunction.js'

type DeployOptions = {
  server?: string
  key?: string
  apiKey?: string
  owner?: string
  minify?: boolean
  compat?: CompatMode
  json?: boolean
}

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
  const { bytes, codeHash, bundled } = await functionCode({
    entry,
    minify: options.minify,
    compat: options.compat,
  })

  progress(`uploading ${bytes.byteLength} bytes to ${server}`)
  const body = await uploadFunction({
    server,
    bytes,
    codeHash,
    owner,
    apiKey,
    declaredOwner: options.owner,
  })
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
