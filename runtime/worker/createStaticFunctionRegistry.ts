import type { Hex } from '../bytes.js'
import { BaseError } from '../errors/BaseError.js'
import type { FunctionLookup, FunctionRegistry } from './FunctionRegistry.js'

export type StaticFunctionRegistry = FunctionRegistry & {
  /** The pinned entries (functionId -> codeHash), lowercase. */
  readonly entries: ReadonlyMap<Hex, Hex>
}

const bytes32 = /^0x[0-9a-fA-F]{64}$/

/**
 * An operator-pinned registry: a fixed map functionId -> codeHash, the same for every chain the worker
 * serves. For chains without a registry contract or pallet (a plain FRAME chain talking the remark
 * protocol): the worker runs only the code the operator pinned. A chain-backed registry (a contract, a
 * pallet's storage) implements the same `FunctionRegistry` interface and replaces it without other changes.
 */
export function createStaticFunctionRegistry(
  map: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): StaticFunctionRegistry {
  const entries = new Map<Hex, Hex>()
  const pairs = map instanceof Map ? [...map.entries()] : Object.entries(map)
  for (const [functionId, codeHash] of pairs) {
    if (!bytes32.test(functionId) || !bytes32.test(codeHash)) {
      throw new BaseError('A pinned function is not bytes32.', {
        code: 'INVALID_FUNCTION_REGISTRY',
        details: `functionId ${JSON.stringify(functionId.slice(0, 80))} -> codeHash ${JSON.stringify(codeHash.slice(0, 80))}`,
        hint: 'Pin each function as "0x<64 hex functionId>": "0x<64 hex codeHash>" (the codeHash `teefn build` prints).',
      })
    }
    entries.set(functionId.toLowerCase() as Hex, codeHash.toLowerCase() as Hex)
  }
  return {
    entries,
    async codeHashOf(request: FunctionLookup) {
      return entries.get(request.functionId.toLowerCase() as Hex)
    },
  }
}
