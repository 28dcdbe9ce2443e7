import type { Hex } from '../../runtime/bytes.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { resolveServerUrl } from './apiClient.js'
import type { OwnerKeyOptions } from './ownerKey.js'
import { scopeFromFlags } from './scopeFlags.js'

/**
 * The flags of every command that writes an owner-signed record (`secrets put|delete`, `settings put`), as
 * `addOwnerRecordOptions` (cli/definitions) declares them.
 */
export type OwnerRecordOptions = OwnerKeyOptions & {
  server?: string
  chainId: string
  registry: string
  functionId: string
  version?: string
  json?: boolean
}

/** What the server answers a record write (or read) with: metadata, never a ciphertext. */
export type OwnerRecordMetadata = {
  scope: FunctionScope
  scopeId: Hex
  version: number
  signer?: string
  deleted?: boolean
  ciphertextHash?: Hex
  ciphertextBytes?: number
  httpSecrets?: boolean
}

/** The scope, version and server the flags name; a usage error names a bad flag. */
export function resolveOwnerRecord(options: OwnerRecordOptions): {
  scope: FunctionScope
  version: number
  server: string
} {
  const scope = scopeFromFlags({ ...options, family: 'evm' })
  // Unix seconds grow between two writes a second apart or more; scripts that write faster pass --version.
  const version = options.version === undefined ? Math.floor(Date.now() / 1000) : Number(options.version)
  if (!/^[1-9][0-9]*$/.test(options.version ?? '1') || !Number.isSafeInteger(version)) {
    throw new UsageError(
      '--version must be a positive whole number below 2^53',
      'e.g. the unix time in seconds',
    )
  }
  return { scope, version, server: resolveServerUrl(options.server) }
}

export type PrintOwnerRecordParameters = {
  what: 'secrets' | 'settings'
  verb: 'stored' | 'deleted'
  body: OwnerRecordMetadata
  server: string
  json: boolean | undefined
  /** More fields for `--json` and more lines for text. */
  extra?: { json: Record<string, unknown>; lines: string[] } | undefined
}

/** Prints what was stored: the scopeId and version first, then the rest. */
export function printOwnerRecord({
  what,
  verb,
  body,
  server,
  json,
  extra,
}: PrintOwnerRecordParameters): void {
  if (json) {
    printJson({ [verb]: true, what, ...body, server, ...(extra?.json ?? {}) })
    return
  }
  const { scope } = body
  const lines = [
    `${verb}: ${what} of function ${scope.functionId} on chain ${scope.chainId} (registry ${scope.registry})`,
    `  scopeId ${body.scopeId}`,
    `  version ${body.version}${body.signer ? `, signed by owner ${body.signer}` : ''}`,
  ]
  if (body.ciphertextHash)
    lines.push(`  ciphertext hash ${body.ciphertextHash} (${body.ciphertextBytes} bytes)`)
  if (body.httpSecrets !== undefined) lines.push(`  httpSecrets ${body.httpSecrets}`)
  lines.push(...(extra?.lines ?? []), `  server ${server}`, '')
  process.stdout.write(lines.join('\n'))
}
