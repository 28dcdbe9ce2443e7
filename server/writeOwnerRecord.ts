import type { Hex } from '../runtime/bytes.js'
import type { EvmBlockRef } from '../runtime/chain/evm/createEvmChainReader.js'
import { OwnerRecordError } from '../runtime/enclave/OwnerRecordError.js'
import type { SignedSecrets, SignedSettings } from '../runtime/enclave/ownerRecords.js'
import { FunctionStoreError } from '../runtime/store/FunctionStoreError.js'
import { ApiError } from './ApiError.js'
import { readFunctionInfo } from './readFunctionInfo.js'
import type { ServerChains } from './ServerContext.js'
import { servedEvmScope } from './servedEvmScope.js'
import { withDeadline } from './withDeadline.js'

export type WriteOwnerRecordParameters<T extends SignedSecrets | SignedSettings> = {
  chains: ServerChains
  /** What the record is, for messages: `secrets` or `settings`. */
  kind: 'secrets' | 'settings'
  /** The request body, already of the route schema's shape. */
  body: unknown
  /** `parseSignedSecrets` or `parseSignedSettings`: the canonical record, or `OwnerRecordError`. */
  parse: (value: unknown) => T
  /** `recoverSecretsSigner` or `recoverSettingsSigner`. */
  recover: (record: T) => Hex | undefined
  /** The store's put: writes only a higher version, atomically (`FunctionStoreError` `VERSION_NOT_NEWER`). */
  put: (record: T) => Promise<void>
  redisTimeoutMs: number
}

export type WriteOwnerRecordReturnType<T> = {
  record: T
  /** The recovered signer: the function's owner (lowercase). */
  signer: Hex
  /** The block the owner was read at. */
  at: EvmBlockRef
}

/**
 * The one write path of owner-signed records. In order: the record parses (400 `OWNER_RECORD_INVALID` naming
 * the field), its chain and registry are served (400 `CHAIN_NOT_SERVED`), the registry has the function
 * (404 `FUNCTION_NOT_REGISTERED`), its signer is the owner read through the RPC quorum (403
 * `NOT_FUNCTION_OWNER`), and the store holds no equal or higher version (409 `VERSION_NOT_NEWER`, checked
 * atomically as it is written). Nothing is stored unless every check passes. The worker checks the owner
 * again when it uses the record; this check keeps strangers from filling the store or burning version numbers.
 */
export async function writeOwnerRecord<T extends SignedSecrets | SignedSettings>({
  chains,
  kind,
  body,
  parse,
  recover,
  put,
  redisTimeoutMs,
}: WriteOwnerRecordParameters<T>): Promise<WriteOwnerRecordReturnType<T>> {
  const record = parseRecord(body, parse)
  const { scope } = record
  const { chain } = servedEvmScope({
    chains,
    chainId: scope.chainId,
    registry: scope.registry,
    functionId: scope.functionId,
  })
  const { fn, at } = await readFunctionInfo(chain, scope.functionId)
  if (!fn.codeHash || !fn.owner) {
    throw new ApiError(
      `registry ${chain.registry} on EVM chain ${chain.chainId} has no function ${scope.functionId} (block ${at.number}).`,
      {
        code: 'FUNCTION_NOT_REGISTERED',
        hint: 'Register the function first (TeefnRegistry.registerFunction), then sign its records.',
      },
    )
  }
  const owner = fn.owner.toLowerCase() as Hex
  const signer = recover(record)
  if (signer !== owner) {
    throw new ApiError(
      `the ${kind} of function ${scope.functionId} must be signed by its owner ${fn.owner}; ${signer ? `this record is signed by ${signer}` : 'this signature recovers to no address'} (registry ${chain.registry} on EVM chain ${chain.chainId}, block ${at.number}).`,
      {
        code: 'NOT_FUNCTION_OWNER',
        hint: `Sign with the owner's key: teefn ${kind === 'secrets' ? 'secrets' : 'settings'} put --key <file>.`,
      },
    )
  }
  try {
    await withDeadline(put(record), redisTimeoutMs)
  } catch (error) {
    if (error instanceof FunctionStoreError && error.code === 'VERSION_NOT_NEWER') {
      throw new ApiError(
        `the ${kind} of scope ${scope.functionId} on chain ${scope.chainId} are at version ${error.storedVersion}; version ${record.version} is not newer.`,
        {
          code: 'VERSION_NOT_NEWER',
          hint: `Sign the ${kind} again with a version above ${error.storedVersion}.`,
        },
      )
    }
    throw error
  }
  return { record, signer, at }
}

function parseRecord<T>(body: unknown, parse: (value: unknown) => T): T {
  try {
    return parse(body)
  } catch (error) {
    if (!(error instanceof OwnerRecordError)) throw error
    // The field is named as validation errors name it (body/scope/chainId); details give the form, never the value.
    const field = `body/${error.field.replaceAll('.', '/')}`
    const what = error.details?.startsWith(`${error.field} `)
      ? error.details.slice(error.field.length + 1)
      : 'is invalid'
    throw new ApiError(`invalid record: ${field} ${what}.`, {
      code: 'OWNER_RECORD_INVALID',
      hint: error.hint,
    })
  }
}
