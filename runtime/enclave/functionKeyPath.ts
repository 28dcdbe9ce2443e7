import type { FunctionScope } from './functionScope.js'
import { scopeId } from './functionScope.js'

/**
 * The key path of a function: `teefn/functions/<scopeId as lowercase 0x-hex>`. dstack derives the function
 * key with `getKey` under it (the same on every worker of the app); dev uses it as HKDF info. Throws
 * `FunctionScopeError` for a malformed scope.
 */
export function functionKeyPath(scope: FunctionScope): string {
  return `teefn/functions/${scopeId(scope)}`
}
