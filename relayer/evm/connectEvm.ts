import { JsonRpcProvider, Network, WebSocketProvider } from 'ethers'

export type ConnectEvmParameters = {
  /** `http(s)://` for calls and sends; `ws(s)://` for subscriptions. */
  url: string
  /** The chain id the node must serve; fixed, so the provider never re-detects the network. */
  chainId: number | bigint | string
  /** How often ethers polls (receipts, `wait()`); 100 ms by default. */
  pollingIntervalMs?: number | undefined
}

/**
 * The ethers options teefn talks to EVM nodes with (see NOTES-chains): a static network, no response cache
 * (`getTransactionCount('pending')` must never come from a 250 ms old cache), no JSON-RPC batching (it
 * adds a stall to every call) and a short polling interval.
 */
function providerOptions(pollingIntervalMs: number) {
  return { staticNetwork: true, cacheTimeout: -1, pollingInterval: pollingIntervalMs, batchMaxCount: 1 }
}

/** An HTTP JSON-RPC provider for calls, `getLogs` and sending transactions. Call `destroy()` when done. */
export function connectEvmHttp({
  url,
  chainId,
  pollingIntervalMs = 100,
}: ConnectEvmParameters): JsonRpcProvider {
  return new JsonRpcProvider(url, Network.from(BigInt(chainId)), providerOptions(pollingIntervalMs))
}

/** The parts of the `ws` socket under an ethers `WebSocketProvider` that tell when it opened or died. */
export type WebSocketEvents = {
  readonly readyState: number
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void
}

/**
 * A WebSocket provider with the same options. It does not reconnect by itself and may never answer after
 * its socket died: use it through `createResilientWsProvider`, which detects that and replaces it.
 */
export function connectEvmWs({
  url,
  chainId,
  pollingIntervalMs = 100,
}: ConnectEvmParameters): WebSocketProvider {
  const provider = new WebSocketProvider(
    url,
    Network.from(BigInt(chainId)),
    providerOptions(pollingIntervalMs),
  )
  // `ws` throws an 'error' event nobody listens to (a refused connection) out of the event loop: listen at once.
  socketOf(provider).addEventListener('error', () => {})
  return provider
}

/** The socket of a `WebSocketProvider`, for its open/close/error events. */
export function socketOf(provider: WebSocketProvider): WebSocketEvents {
  return provider.websocket as unknown as WebSocketEvents
}
