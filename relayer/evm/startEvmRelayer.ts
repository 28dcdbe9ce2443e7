import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { defaultConfirmations } from '../../runtime/chain/evm/defaultConfirmations.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import {
  type EvmSubmitter,
  type StartEvmSubmitterParameters,
  startEvmSubmitter,
} from './startEvmSubmitter.js'
import { type EvmWatcher, type StartEvmWatcherParameters, startEvmWatcher } from './startEvmWatcher.js'
import { type PhatRelayer, startPhatRelayer } from './startPhatRelayer.js'

/** The chain, as the watcher takes it (the submitter uses `connection`, `chainId` and `rpcUrl` too). */
type EvmChainParameters = Pick<
  StartEvmWatcherParameters,
  | 'connection'
  | 'chainId'
  | 'rpcUrl'
  | 'wsUrl'
  | 'registry'
  | 'consumers'
  | 'denyConsumers'
  | 'confirmations'
  | 'startBlock'
>

export type StartEvmRelayerParameters = EvmChainParameters & {
  /** The key that pays for fulfilments (0x-hex, resolved from the environment). Without it the relayer only watches. */
  submitterKey?: string | undefined
  /**
   * `TeefnPhatAttestor` contracts whose Phat anchors this node relays for (`relay` on queued messages, with the
   * submitter key). Needs `submitterKey`; added to `consumers` when that allow-list is given.
   */
  phatAttestors?: readonly string[] | undefined
  /** Run the watcher (default true). */
  watch?: boolean | undefined
  /** How failed deliveries are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /** More watcher settings (poll interval, heartbeat, block range). */
  watcher?:
    | Pick<
        StartEvmWatcherParameters,
        'pollIntervalMs' | 'maxBlockRange' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'checkpointKey'
      >
    | undefined
  /** More submitter settings (batching, gas headroom, receipt timeout, re-runs). */
  submitter?:
    | Pick<
        StartEvmSubmitterParameters,
        | 'maxBatchSize'
        | 'maxInFlight'
        | 'batchWindowMs'
        | 'gasHeadroomPercent'
        | 'receiptTimeoutMs'
        | 'maxReruns'
        | 'quorum'
      >
    | undefined
  logger?: Logger | undefined
}

export type EvmRelayer = {
  chainId: string
  watcher: EvmWatcher | undefined
  submitter: EvmSubmitter | undefined
  /** The Phat relayer, when `phatAttestors` are configured. */
  phat: PhatRelayer | undefined
  /** Stops the watcher (checkpoint kept), lets the submitter finish what it sent, then closes both. */
  close(): Promise<void>
}

/**
 * Everything a node runs for one EVM chain, in one call: the watcher (`RequestSent` -> request jobs) and, with a
 * submitter key, the submitter (signed envelopes -> fulfilment transactions). The counterpart of
 * `startSubstrateRelayer`; `teefn node` calls it per `evm[]` entry.
 */
export async function startEvmRelayer({
  submitterKey,
  phatAttestors = [],
  watch = true,
  retryPolicy,
  watcher: watcherOptions,
  submitter: submitterOptions,
  logger = createLogger({ name: 'relayer-evm' }),
  ...chain
}: StartEvmRelayerParameters): Promise<EvmRelayer> {
  const { connection, chainId, rpcUrl } = chain
  if (phatAttestors.length > 0 && !submitterKey) {
    throw new RangeError('phatAttestors need a submitter key: relays are transactions')
  }
  // An allow-list of consumers must let the attestors' own requests through.
  if (chain.consumers && phatAttestors.length > 0) chain.consumers = [...chain.consumers, ...phatAttestors]
  const submitter = submitterKey
    ? startEvmSubmitter({
        connection,
        chainId,
        rpcUrl,
        privateKey: submitterKey,
        retryPolicy,
        logger,
        ...submitterOptions,
      })
    : undefined
  let watcher: EvmWatcher | undefined
  try {
    if (watch) watcher = await startEvmWatcher({ ...chain, logger, ...watcherOptions })
  } catch (error) {
    await submitter?.close()
    throw error
  }
  const phatRpc = submitter && phatAttestors.length > 0 ? createRpcClient({ url: rpcUrl }) : undefined
  const phat =
    submitter && phatRpc
      ? startPhatRelayer({
          rpc: phatRpc,
          transactions: submitter.transactions,
          attestors: phatAttestors,
          confirmations: chain.confirmations ?? defaultConfirmations(chainId),
          pollIntervalMs: watcherOptions?.pollIntervalMs,
          logger: logger.child({ chainId: BigInt(chainId).toString() }),
        })
      : undefined
  return {
    chainId: BigInt(chainId).toString(),
    watcher,
    submitter,
    phat,
    async close() {
      await phat?.stop()
      phatRpc?.close()
      await watcher?.stop()
      await submitter?.close()
    },
  }
}
