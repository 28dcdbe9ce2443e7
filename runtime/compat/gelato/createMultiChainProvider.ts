import type { RpcClient } from './createRpcClient.js'
import { GelatoJsonRpcProvider } from './GelatoJsonRpcProvider.js'

/** `context.multiChainProvider`, as Gelato's SDK shapes it. */
export type GelatoMultiChainProvider = {
  default(): GelatoJsonRpcProvider
  chainId(chainId: number): GelatoJsonRpcProvider
  /** RPC calls left in this run, over every chain. */
  nbRpcCallsRemaining(): Promise<number>
}

export type CreateMultiChainProviderParameters = {
  chainId: number
  /** The default chain's JSON-RPC URL; without it `default()` throws. */
  rpcUrl?: string | undefined
  /** Other chains' URLs by chain id. */
  rpcUrls: Record<string, string>
  client: RpcClient
}

/**
 * One provider per chain, made on first use, all counting against one RPC limit. A chain without a URL throws
 * when asked for, naming the flag that gives it one.
 */
export function createMultiChainProvider({
  chainId,
  rpcUrl,
  rpcUrls,
  client,
}: CreateMultiChainProviderParameters): GelatoMultiChainProvider {
  const providers = new Map<number, GelatoJsonRpcProvider>()
  const providerOf = (id: number): GelatoJsonRpcProvider => {
    const existing = providers.get(id)
    if (existing) return existing
    const url = id === chainId && rpcUrl !== undefined ? rpcUrl : rpcUrls[String(id)]
    if (url === undefined) {
      const flag = id === chainId ? '--rpc <url>' : `--rpc ${id}=<url>`
      throw new Error(`Web3Function has no RPC provider for chain ${id}: pass ${flag} to teefn run`)
    }
    const provider = new GelatoJsonRpcProvider(url, id, client)
    providers.set(id, provider)
    return provider
  }
  return Object.freeze({
    default: () => providerOf(chainId),
    chainId: (id: number) => providerOf(Number(id)),
    nbRpcCallsRemaining: async () => client.remaining(),
  })
}
