import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'

export type CreateFeeOracleParameters = {
  rpc: RpcClient
  /** How long fees are reused; 1 s by default. */
  cacheMs?: number | undefined
}

/** What a transaction pays: EIP-1559 fees where the chain has a base fee, a gas price elsewhere. */
export type FeePricing =
  | { type: 'eip1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: 'legacy'; gasPrice: bigint }

export type FeeOracle = {
  /** The fees to send with now: read from the node, or reused for `cacheMs`. */
  fees(): Promise<FeePricing>
  /** Reports a failed send: fees the node refused (underpriced, fee too low) are read again for the next one. */
  refused(error: unknown): void
}

/** The tip when the node has no `eth_maxPriorityFeePerGas`: what most clients suggest then (1 gwei). */
const defaultTip = 1_000_000_000n

/**
 * Fees for the relayer's transactions, read from the latest block: twice its base fee plus the node's tip
 * (still valid after several full blocks in a row), or the node's gas price on a chain without a base fee.
 * Reused for a moment, since fulfilments leave in bursts; a send refused for its fees forgets them.
 */
export function createFeeOracle({ rpc, cacheMs = 1_000 }: CreateFeeOracleParameters): FeeOracle {
  let cached: { pricing: FeePricing; at: number } | undefined

  const read = async (): Promise<FeePricing> => {
    const block = await rpc.request<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', [
      'latest',
      false,
    ])
    if (block?.baseFeePerGas === undefined) {
      return { type: 'legacy', gasPrice: BigInt(await rpc.request<string>('eth_gasPrice')) }
    }
    const tip = await rpc.request<string>('eth_maxPriorityFeePerGas').then(BigInt, () => defaultTip)
    return {
      type: 'eip1559',
      maxFeePerGas: BigInt(block.baseFeePerGas) * 2n + tip,
      maxPriorityFeePerGas: tip,
    }
  }

  return {
    async fees() {
      if (cached && Date.now() - cached.at <= cacheMs) return cached.pricing
      const pricing = await read()
      cached = { pricing, at: Date.now() }
      return pricing
    },
    refused(error) {
      if (/fee|underpriced/i.test(String((error as Error)?.message))) cached = undefined
    },
  }
}
