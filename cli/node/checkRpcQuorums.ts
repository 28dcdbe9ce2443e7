import { ConfigError } from './ConfigError.js'
import type { NodeConfig } from './nodeConfigSchema.js'

/** The endpoints a chain's worker reads from, and how many must agree (a majority unless configured). */
export function rpcQuorumOf(endpoints: readonly string[], configured: number | undefined): number {
  return configured ?? Math.floor(endpoints.length / 2) + 1
}

/**
 * One endpoint means trusting whoever runs it with every request, code hash and owner the worker reads: allowed
 * only when the file says so (`"rpcQuorum": 1`). A quorum above the endpoint count could never be reached.
 */
export function checkRpcQuorums(config: NodeConfig, where: string): void {
  const chains = [
    ...(config.evm ?? []).map((chain, index) => ({
      field: `evm.${index}`,
      urls: chain.rpcUrls ?? [chain.rpcUrl],
      quorum: chain.rpcQuorum,
      list: 'rpcUrls',
    })),
    ...(config.substrate ?? []).map((chain, index) => ({
      field: `substrate.${index}`,
      urls: chain.wsUrls ?? [chain.wsUrl],
      quorum: chain.rpcQuorum,
      list: 'wsUrls',
    })),
  ]
  for (const { field, urls, quorum, list } of chains) {
    if (urls.length === 1 && quorum !== 1) {
      throw new ConfigError(
        `${where}: ${field}.rpcQuorum must be set: the worker would trust a single RPC endpoint.`,
        {
          details: `${field}.${list} names one endpoint.`,
          hint: `List endpoints run by different parties in ${field}.${list} (a majority must agree), or write "rpcQuorum": 1 to trust that one knowingly.`,
        },
      )
    }
    if (quorum !== undefined && quorum > urls.length) {
      throw new ConfigError(
        `${where}: ${field}.rpcQuorum is ${quorum}, more than the ${urls.length} endpoint(s) in ${field}.${list}.`,
        {
          hint: `Lower ${field}.rpcQuorum or add endpoints.`,
        },
      )
    }
  }
}
