import type { ApiPromise } from '@polkadot/api'
import { TimeoutError } from '../../async/TimeoutError.js'
import { withTimeout } from '../../async/withTimeout.js'
import type { Hex } from '../../bytes.js'
import type { Logger } from '../../logging/createLogger.js'
import { ChainReadError } from '../ChainReadError.js'
import { endpointHost } from '../endpointHost.js'

export type OpenSubstrateEndpointParameters = {
  /** `ws://` or `wss://` URL of a node. */
  url: string
  /** The genesis hash the node must serve. */
  genesisHash: Hex
  /** How long connecting and loading the metadata may take; also each RPC call's timeout. */
  timeoutMs: number
  logger?: Logger | undefined
}

/** One node, connected and checked to serve the configured chain. */
export type SubstrateEndpoint = {
  /** For decoding with the node's own metadata (`api.at(blockHash)`). */
  api: ApiPromise
  /** A raw JSON-RPC call: no polkadot-js cache, no decoding. */
  send<T = unknown>(method: string, params: unknown[]): Promise<T>
  close(): Promise<void>
}

/**
 * Connects an `ApiPromise` to one node (reconnecting on its own after a dropped socket) and checks the
 * node's genesis hash: a node of another chain is `RPC_WRONG_CHAIN`. `@polkadot/api` is imported here, on
 * first use, so a worker without a Substrate chain never loads it. A failed or slow start is torn down,
 * never left retrying in the background.
 */
export async function openSubstrateEndpoint({
  url,
  genesisHash,
  timeoutMs,
  logger,
}: OpenSubstrateEndpointParameters): Promise<SubstrateEndpoint> {
  const { ApiPromise, WsProvider } = await import('@polkadot/api')
  const host = endpointHost(url)
  const provider = new WsProvider(url, 1_000, {}, timeoutMs)
  // Without a listener the provider logs every failed attempt itself, with the full URL.
  provider.on('error', () => logger?.debug({ endpoint: host }, 'substrate endpoint socket error'))
  const api = new ApiPromise({ provider, noInitWarn: true })
  try {
    await withTimeout(api.isReadyOrError, {
      timeoutMs,
      error: () => new TimeoutError(`not ready after ${timeoutMs} ms`),
    })
  } catch (error) {
    await api.disconnect().catch(() => {})
    throw error
  }
  const served = api.genesisHash.toHex()
  if (served !== genesisHash.toLowerCase()) {
    await api.disconnect().catch(() => {})
    throw new ChainReadError('The endpoint serves another chain.', {
      code: 'RPC_WRONG_CHAIN',
      details: `genesis ${served}, expected ${genesisHash}`,
      hint: 'Point every wsUrl of this chain at a node of the same chain.',
    })
  }
  return {
    api,
    send: (method, params) => provider.send(method, params),
    close: () => api.disconnect(),
  }
}
