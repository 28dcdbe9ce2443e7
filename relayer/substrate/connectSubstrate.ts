import '@polkadot/api-augment'
import { ApiPromise, WsProvider } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'

export type ConnectSubstrateParameters = {
  /** `ws://` or `wss://` endpoint of a node (or chopsticks). */
  url: string
  logger?: Logger | undefined
  /** Delay between reconnect attempts after the socket drops; 1 s by default; 0 never reconnects (one-shot tools). */
  reconnectDelayMs?: number | undefined
  /** Per-request RPC timeout; 60 s by default. */
  requestTimeoutMs?: number | undefined
}

export type SubstrateConnection = {
  api: ApiPromise
  /** The chain's genesis hash: its teefn `chainId`. */
  genesisHash: Hex
  /** Disconnects for good (no reconnect). */
  close(): Promise<void>
}

/**
 * An `ApiPromise` over a reconnecting `WsProvider`. The first connection must succeed (else it throws
 * `SUBSTRATE_UNAVAILABLE`, naming the URL); after that a dropped socket is retried every
 * `reconnectDelayMs`, subscriptions are renewed by the provider, and the watcher backfills from its
 * checkpoint, so nothing is lost while the node was away.
 */
export async function connectSubstrate({
  url,
  logger,
  reconnectDelayMs = 1_000,
  requestTimeoutMs = 60_000,
}: ConnectSubstrateParameters): Promise<SubstrateConnection> {
  if (!/^wss?:\/\//.test(url)) {
    throw new SubstrateRelayerError('The Substrate endpoint is not a WebSocket URL.', {
      code: 'INVALID_SUBSTRATE_CONFIG',
      details: `got ${JSON.stringify(url.slice(0, 200))}`,
      hint: 'Use ws://host:port or wss://host (the node RPC endpoint).',
    })
  }
  const provider = new WsProvider(url, reconnectDelayMs > 0 ? reconnectDelayMs : false, {}, requestTimeoutMs)
  let closing = false
  provider.on('disconnected', () => {
    if (!closing) logger?.warn({ url }, 'substrate node disconnected; reconnecting')
  })
  provider.on('connected', () => logger?.debug({ url }, 'substrate node connected'))
  // Without a listener the provider logs every failed attempt itself; ours is quieter and structured.
  provider.on('error', (error: unknown) => {
    if (!closing) logger?.debug({ url, err: (error as Error)?.message }, 'substrate provider error')
  })
  let api: ApiPromise
  try {
    // Without auto-connect the provider waits for an explicit connect (which fails fast when nobody listens).
    if (reconnectDelayMs <= 0) await provider.connect()
    api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true })
  } catch (cause) {
    closing = true
    await provider.disconnect().catch(() => {})
    throw new SubstrateRelayerError('Cannot connect to the Substrate node.', {
      code: 'SUBSTRATE_UNAVAILABLE',
      details: `${url}: ${(cause as Error)?.message ?? String(cause)}`,
      hint: 'Check that the node is running and that its RPC (WebSocket) port is reachable.',
      cause,
    })
  }
  return {
    api,
    genesisHash: api.genesisHash.toHex(),
    async close() {
      closing = true
      await api.disconnect()
    },
  }
}
