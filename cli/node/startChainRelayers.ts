import type { Redis } from 'ioredis'
import { type EvmRelayer, startEvmRelayer } from '../../relayer/evm/startEvmRelayer.js'
import {
  type SubstrateRelayer,
  startSubstrateRelayer,
} from '../../relayer/substrate/startSubstrateRelayer.js'
import { defaultConfirmations } from '../../runtime/chain/evm/defaultConfirmations.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { resolveSecret } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'
import type { Closers } from './startNode.js'

/** What every part of a node shares. */
export type Shared = {
  connection: Redis
  env: NodeJS.ProcessEnv
  retryPolicy: RetryPolicy
  logger: Logger
  closers: Closers
}

/** The relayer role: one EVM relayer per configured chain, each closed with the node. */
export async function startEvmRelayers(config: NodeConfig, shared: Shared): Promise<EvmRelayer[]> {
  const relayers: EvmRelayer[] = []
  for (const chain of config.evm ?? []) {
    const relayer = await startEvmRelayer({
      connection: shared.connection,
      chainId: chain.chainId,
      rpcUrl: chain.rpcUrl,
      wsUrl: chain.wsUrl,
      registry: chain.registry,
      consumers: chain.consumers,
      denyConsumers: chain.denyConsumers,
      phatAttestors: chain.phatAttestors,
      confirmations: chain.confirmations ?? defaultConfirmations(chain.chainId),
      startBlock: chain.fromBlock ?? 'latest',
      submitterKey: chain.submitterKey ? resolveSecret(chain.submitterKey, shared.env) : undefined,
      submitter: { ...chain.batching, quorum: config.quorum },
      watcher: chain.watching,
      retryPolicy: shared.retryPolicy,
      logger: shared.logger.child({ chain: chain.name ?? `evm-${chain.chainId}` }),
    })
    shared.closers.push(() => relayer.close())
    relayers.push(relayer)
  }
  return relayers
}

/** The relayer role: one Substrate relayer per configured chain, each closed with the node. */
export async function startSubstrateRelayers(
  config: NodeConfig,
  shared: Shared & { ownWorker?: string | undefined },
): Promise<SubstrateRelayer[]> {
  const relayers: SubstrateRelayer[] = []
  for (const chain of config.substrate ?? []) {
    const resultQuorum = chain.resultQuorum
    const relayer = await startSubstrateRelayer({
      wsUrl: chain.wsUrl,
      connection: shared.connection,
      heads: chain.heads,
      submitterUri: resolveSecret(chain.submitterUri, shared.env),
      retryPolicy: shared.retryPolicy,
      quorum: resultQuorum && {
        ...config.quorum,
        peers: config.quorum?.peers ?? [],
        threshold: resultQuorum.threshold,
        workers: resultQuorum.workers,
        timeoutMs: resultQuorum.timeoutSeconds === undefined ? undefined : resultQuorum.timeoutSeconds * 1000,
        ownWorker: shared.ownWorker,
      },
      logger: shared.logger.child({ chain: chain.name ?? chain.wsUrl }),
    })
    shared.closers.push(() => relayer.close())
    relayers.push(relayer)
  }
  return relayers
}
