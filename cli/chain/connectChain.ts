import type { JsonRpcProvider } from 'ethers'
import { connectEvmHttp } from '../../relayer/evm/connectEvm.js'
import { UsageError } from '../UsageError.js'
import { ChainError } from './ChainError.js'
import { unreachable } from './decodeChainError.js'

/** Where `teefn chain` sends when neither `--rpc` nor `TEEFN_RPC_URL` says: a local node (anvil). */
export const defaultRpcUrl = 'http://127.0.0.1:8545'

export type ConnectChainParameters = {
  /** `--rpc`; else `TEEFN_RPC_URL`; else `defaultRpcUrl`. */
  rpc?: string | undefined
  /** How long the first call (eth_chainId) may take; 10 s by default. */
  timeoutMs?: number | undefined
}

export type ChainConnection = {
  rpc: string
  chainId: number
  /**
   * Without a response cache (`cacheTimeout: -1`): a cached `getTransactionCount` handed two transactions sent
   * back to back the same nonce ("nonce too low"). Call `destroy()` when done.
   */
  provider: JsonRpcProvider
}

/**
 * Connects to an EVM JSON-RPC endpoint: asks its chain id once (an endpoint that does not answer is a
 * `ChainError` `CHAIN_UNREACHABLE`, not a hang) and returns the provider teefn uses everywhere (`connectEvmHttp`).
 */
export async function connectChain({
  rpc,
  timeoutMs = 10_000,
}: ConnectChainParameters): Promise<ChainConnection> {
  const url = resolveRpcUrl(rpc)
  let chainId: number
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = (await response.json()) as { result?: unknown }
    if (typeof body.result !== 'string') throw new Error(`HTTP ${response.status}, no eth_chainId result`)
    chainId = Number(BigInt(body.result))
  } catch (error) {
    if (error instanceof ChainError) throw error
    throw unreachable(url, error)
  }
  return { rpc: url, chainId, provider: connectEvmHttp({ url, chainId }) }
}

/** The JSON-RPC URL a command uses, checked (a usage error names a bad one). */
export function resolveRpcUrl(option: string | undefined): string {
  const value = option ?? process.env.TEEFN_RPC_URL ?? defaultRpcUrl
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--rpc ${value} is not a URL`, 'e.g. --rpc http://127.0.0.1:8545')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--rpc ${value} is not an http(s) URL`, 'teefn chain sends over HTTP JSON-RPC')
  }
  return value
}
