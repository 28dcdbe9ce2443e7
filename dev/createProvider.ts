import { JsonRpcProvider, Network, WebSocketProvider } from 'ethers'

export type CreateProviderParameters = {
  /** Polling interval for `tx.wait()` and polling subscriptions; 100 ms by default. */
  pollingInterval?: number | undefined
}

/**
 * An ethers v6 HTTP provider tuned for a local node (see ../shared/NOTES-chains.md): no request batching
 * (it adds ~45 ms a call), no result cache (it serves stale pending nonces under automine), fast polling,
 * and a static network (no `eth_chainId` before every call). Call `destroy()` when done, or Node stays alive.
 */
export function createProvider(
  url: string,
  chainId?: number,
  parameters: CreateProviderParameters = {},
): JsonRpcProvider {
  return new JsonRpcProvider(url, chainId === undefined ? undefined : Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: parameters.pollingInterval ?? 100,
    batchMaxCount: 1,
  })
}

/**
 * An ethers v6 WebSocket provider with the same options. It does not reconnect: after a node restart, create
 * a new one, resubscribe and backfill with `getLogs`.
 */
export function createWsProvider(url: string, chainId?: number): WebSocketProvider {
  return new WebSocketProvider(url, chainId === undefined ? undefined : Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 100,
    batchMaxCount: 1,
  })
}
