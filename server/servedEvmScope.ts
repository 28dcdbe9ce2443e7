import type { Hex } from '../runtime/bytes.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { ApiError } from './ApiError.js'
import type { ServerChains, ServerEvmChain } from './ServerContext.js'

export type ServedEvmScopeParameters = {
  chains: ServerChains
  /** Decimal EVM chain id (or an integer); the first chain the server reads when absent. */
  chainId?: string | number | undefined
  /** When given, it must be the registry the server reads on that chain (any case). */
  registry?: string | undefined
  functionId: Hex
}

export type ServedEvmScopeReturnType = {
  /** The reader of the scope's chain: its registry decides the function's code and owner. */
  chain: ServerEvmChain
  /** Canonical: decimal chainId, lowercase registry and functionId. */
  scope: FunctionScope
}

/**
 * The function scope a request names, on a chain this server reads. A scope on any other chain or registry
 * is refused (400 `CHAIN_NOT_SERVED`): the server could not check its code or its owner, and the worker would
 * not serve it either.
 */
export function servedEvmScope({
  chains,
  chainId,
  registry,
  functionId,
}: ServedEvmScopeParameters): ServedEvmScopeReturnType {
  const served = chains.evm ?? []
  const servedIds = served.map((chain) => chain.chainId.toString())
  const chain =
    chainId === undefined ? served[0] : served.find((candidate) => candidate.chainId === BigInt(chainId))
  if (!chain) {
    throw new ApiError(
      served.length === 0
        ? 'this server reads no EVM chain, so it can check neither the code nor the owner of a functionId.'
        : `this server does not read EVM chain ${chainId} (it reads ${servedIds.join(', ')}).`,
      {
        code: 'CHAIN_NOT_SERVED',
        hint: 'Name a chain the node is configured with (an invocation may also name no functionId).',
      },
    )
  }
  const servedRegistry = chain.registry.toLowerCase() as Hex
  if (registry !== undefined && registry.toLowerCase() !== servedRegistry) {
    throw new ApiError(
      `on EVM chain ${chain.chainId} this server reads registry ${chain.registry}, not ${registry}.`,
      { code: 'CHAIN_NOT_SERVED', hint: 'Name the registry the node is configured with for this chain.' },
    )
  }
  return {
    chain,
    scope: {
      family: 'evm',
      chainId: chain.chainId.toString(),
      registry: servedRegistry,
      functionId: functionId.toLowerCase() as Hex,
    },
  }
}
