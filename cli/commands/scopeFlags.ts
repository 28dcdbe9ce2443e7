import { FunctionScopeError } from '../../runtime/enclave/FunctionScopeError.js'
import { type FunctionScope, parseFunctionScope } from '../../runtime/enclave/functionScope.js'
import { UsageError } from '../UsageError.js'

/** The flags that name a function scope. */
export type ScopeFlags = {
  /** `evm` (default) or `substrate`. */
  family?: string | undefined
  chainId: string
  registry?: string | undefined
  functionId: string
}

/** The flag that sets each scope field, for usage errors. */
const flagOf: Record<string, string> = {
  family: '--family',
  chainId: '--chain-id',
  registry: '--registry',
  functionId: '--function-id',
}

/** The scope the flags name, canonical; a missing or malformed flag is a usage error naming it. */
export function scopeFromFlags(flags: ScopeFlags): FunctionScope {
  const family = flags.family ?? 'evm'
  const substrate = family === 'substrate'
  if (substrate && flags.registry !== undefined && flags.registry !== '0x') {
    throw new UsageError('--registry is for evm scopes only', 'substrate functions have no registry contract')
  }
  if (family === 'evm' && flags.registry === undefined) {
    throw new UsageError('--registry is required for evm scopes', 'pass the TeefnRegistry address')
  }
  try {
    return parseFunctionScope({
      family,
      chainId: flags.chainId,
      registry: substrate ? '0x' : flags.registry,
      functionId: flags.functionId,
    })
  } catch (error) {
    if (!(error instanceof FunctionScopeError)) throw error
    // details read "<field> must be ...": name the flag instead of the field.
    const what = error.details?.startsWith(`${error.field} `)
      ? error.details.slice(error.field.length + 1)
      : 'is invalid'
    throw new UsageError(
      `${flagOf[error.field] ?? error.field} ${what}`,
      error.field === 'chainId'
        ? 'evm: a decimal chain id such as 1; substrate: the 0x genesis hash'
        : undefined,
    )
  }
}
