import type { Hex } from '../runtime/bytes.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { scopeId } from '../runtime/enclave/functionScope.js'
import { ApiError } from './ApiError.js'
import type { ApiErrorCode } from './errorCodes.js'
import type { ServerChains } from './ServerContext.js'
import { servedEvmScope } from './servedEvmScope.js'
import { withDeadline } from './withDeadline.js'

export type ReadOwnerRecordParameters<T> = {
  chains: ServerChains
  /** The route's query: the function, and its chain and registry (the first EVM chain's by default). */
  query: { chainId?: string | number | undefined; registry?: string | undefined; functionId: string }
  /** The store's get for this kind of record. */
  get: (scope: FunctionScope) => Promise<T | undefined>
  redisTimeoutMs: number
  /** The 404 when nothing was ever stored, and the command that stores one. */
  notFound: { code: ApiErrorCode; what: string; command: string }
}

/** The stored owner record of a scope the server serves, or the route's 404. */
export async function readOwnerRecord<T>({
  chains,
  query,
  get,
  redisTimeoutMs,
  notFound,
}: ReadOwnerRecordParameters<T>): Promise<T> {
  const { scope } = servedEvmScope({
    chains,
    chainId: query.chainId,
    registry: query.registry,
    functionId: query.functionId as Hex,
  })
  const record = await withDeadline(get(scope), redisTimeoutMs)
  if (!record) {
    throw new ApiError(`no ${notFound.what} were stored for scope ${scopeId(scope)}.`, {
      code: notFound.code,
      hint: `Store them with ${notFound.command}.`,
    })
  }
  return record
}
