import { getAddress, id } from 'ethers'
import { BaseError } from '../../runtime/errors/BaseError.js'
import type { FunctionLookup, FunctionRegistry } from '../../runtime/worker/FunctionRegistry.js'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'

type Hex = `0x${string}`

export type EvmRegistryChain = {
  /** Decimal chain id, as the watcher writes it into `RequestJobData.chainId`. */
  chainId: number | bigint | string
  /** Address of the `TeefnRegistry` the chain's consumers check envelopes against. */
  registry: string
  /** HTTP JSON-RPC endpoint of the chain. */
  rpcUrl: string
}

export type CreateEvmFunctionRegistryParameters = {
  chains: readonly EvmRegistryChain[]
}

export type EvmFunctionRegistry = FunctionRegistry & {
  /** Closes the connections to the nodes. */
  close(): void
}

/** The worker got a request of an EVM chain it has no registry for. */
export class UnknownEvmChainError extends BaseError {
  override name = 'UnknownEvmChainError'
  constructor(chainId: string, known: string[]) {
    super(`No registry is configured for EVM chain ${chainId}.`, {
      code: 'EVM_CHAIN_UNKNOWN',
      details: `Configured chains: ${known.length > 0 ? known.join(', ') : 'none'}.`,
      hint: 'Add the chain and its registry address to the worker configuration.',
    })
  }
}

const codeHashOfSelector = id('codeHashOf(bytes32)').slice(0, 10)
const zeroHash = `0x${'00'.repeat(32)}`
const bytes32 = /^0x[0-9a-fA-F]{64}$/

/**
 * The worker's view of the EVM registries: `codeHashOf(functionId)` read from the chain's `TeefnRegistry`
 * at the latest block for every request (no cache, so an upgrade applies at once), undefined when the
 * function is not registered (the registry answers the zero hash).
 */
export function createEvmFunctionRegistry({
  chains,
}: CreateEvmFunctionRegistryParameters): EvmFunctionRegistry {
  const registries = new Map<string, { address: string; rpc: RpcClient }>()
  for (const chain of chains) {
    registries.set(BigInt(chain.chainId).toString(), {
      address: getAddress(chain.registry),
      rpc: createRpcClient({ url: chain.rpcUrl }),
    })
  }
  return {
    async codeHashOf(request: FunctionLookup): Promise<Hex | undefined> {
      const registry = registries.get(request.chainId)
      if (!registry) throw new UnknownEvmChainError(request.chainId, [...registries.keys()])
      // Not a bytes32: no registry can name code for it.
      if (!bytes32.test(request.functionId)) return undefined
      const answer = await registry.rpc.request<string>('eth_call', [
        { to: registry.address, data: `${codeHashOfSelector}${request.functionId.slice(2)}` },
        'latest',
      ])
      if (!bytes32.test(answer)) {
        throw new BaseError('The registry answered no bytes32.', {
          code: 'EVM_REGISTRY_BAD_ANSWER',
          details: `codeHashOf at ${registry.address} on chain ${request.chainId} returned ${answer.slice(0, 80)}.`,
          hint: 'Check the registry address in the configuration (is a TeefnRegistry deployed there?).',
        })
      }
      const codeHash = answer.toLowerCase()
      return codeHash === zeroHash ? undefined : (codeHash as Hex)
    },
    close() {
      for (const { rpc } of registries.values()) rpc.close()
    },
  }
}
