import type { Hex } from '../../runtime/bytes.js'
import { endpointHost } from '../../runtime/chain/endpointHost.js'
import { createEvmChainReader, type EvmChainReader } from '../../runtime/chain/evm/createEvmChainReader.js'
import { defaultConfirmations } from '../../runtime/chain/evm/defaultConfirmations.js'
import { createSubstrateChainReader } from '../../runtime/chain/substrate/createSubstrateChainReader.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { createStaticFunctionRegistry } from '../../runtime/worker/createStaticFunctionRegistry.js'
import type { WorkerSubstrateChain } from '../../runtime/worker/WorkerChains.js'
import { rpcQuorumOf } from './checkRpcQuorums.js'
import type { NodeConfig } from './nodeConfigSchema.js'

type EvmChainConfig = NonNullable<NodeConfig['evm']>[number]
type SubstrateChainConfig = NonNullable<NodeConfig['substrate']>[number]

/** The worker's quorum reader of an EVM chain; a single trusted endpoint is allowed (the config says so) but warned of. */
export function evmChainReaderOf(chain: EvmChainConfig, logger: Logger): EvmChainReader {
  const rpcUrls = chain.rpcUrls ?? [chain.rpcUrl]
  const quorum = rpcQuorumOf(rpcUrls, chain.rpcQuorum)
  const reader = createEvmChainReader({
    chainId: chain.chainId,
    registry: chain.registry,
    rpcUrls,
    quorum,
    confirmations: chain.confirmations ?? defaultConfirmations(chain.chainId),
    logger: logger.child({ chain: chain.name ?? `evm-${chain.chainId}` }),
  })
  if (quorum === 1) warnSingleEndpoint(logger, chain.chainId, reader.endpoints)
  return reader
}

/** The worker's view of a Substrate chain: its quorum reader and the code the operator pinned. */
export function substrateChainOf(
  chain: SubstrateChainConfig,
  genesisHash: Hex,
  logger: Logger,
): WorkerSubstrateChain & { close(): Promise<void> } {
  const wsUrls = chain.wsUrls ?? [chain.wsUrl]
  const quorum = rpcQuorumOf(wsUrls, chain.rpcQuorum)
  const reader = createSubstrateChainReader({
    genesisHash,
    wsUrls,
    quorum,
    heads: chain.heads ?? 'finalized',
    logger: logger.child({ chain: chain.name ?? genesisHash }),
  })
  if (quorum === 1) warnSingleEndpoint(logger, genesisHash, wsUrls.map(endpointHost))
  return {
    genesisHash,
    reader,
    functions: createStaticFunctionRegistry(chain.functions),
    close: () => reader.close(),
  }
}

function warnSingleEndpoint(logger: Logger, chain: string | number, endpoints: readonly string[]): void {
  logger.warn(
    { chain, endpoints },
    'rpcQuorum is 1: whoever runs that endpoint decides which requests, code and owners this worker sees',
  )
}
