import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import type { Redis } from 'ioredis'
import type { Hex } from '../../runtime/bytes.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { connectSubstrate, type SubstrateConnection } from './connectSubstrate.js'
import { createQuorumResultAcceptor } from './createQuorumResultAcceptor.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import type { SubstrateTrigger } from './SubstrateTrigger.js'
import {
  type StartSubstrateSubmitterParameters,
  type SubstrateSubmitter,
  startSubstrateSubmitter,
} from './startSubstrateSubmitter.js'
import {
  type SubstrateHeadMode,
  type SubstrateWatcher,
  startSubstrateWatcher,
} from './startSubstrateWatcher.js'

export type StartSubstrateRelayerParameters = {
  /** Node RPC endpoint (`ws://` / `wss://`); the node config's `substrate[].wsUrl`. */
  wsUrl: string
  /** Redis (`createRedisConnection({ url: redisUrl })`), shared with the worker's queues. */
  connection: Redis
  /** `finalized` (default) or `best`: see README "Forks". */
  heads?: SubstrateHeadMode | undefined
  /**
   * The fee payer's secret URI (mnemonic, 0x seed or `//Dev` path), already resolved from `env:NAME`; never
   * logged nor put in an error. Without it the relayer only watches.
   */
  submitterUri?: string | undefined
  keyType?: 'sr25519' | 'ed25519' | undefined
  /** Run the watcher (default true). */
  watch?: boolean | undefined
  /** First block when Redis has no checkpoint yet; the current head by default. */
  startBlock?: number | 'head' | undefined
  /** More accounts whose result remarks count as delivered (other relayers' fee payers). */
  resultSenders?: readonly string[] | undefined
  pollIntervalMs?: number | undefined
  /** Replace the remark protocol (a chain with its own pallet or contract). */
  triggers?: readonly SubstrateTrigger[] | undefined
  delivery?: SubstrateDelivery | undefined
  submitter?:
    | Pick<
        StartSubstrateSubmitterParameters,
        'inclusion' | 'maxBatchSize' | 'batchLingerMs' | 'inclusionTimeoutMs'
      >
    | undefined
  /** How failed deliveries are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /**
   * The chain's result quorum (`substrate[].resultQuorum` and the top-level `quorum` peers), and this node's own
   * worker key: the submitter gathers and sends quorum results, and the watcher takes another node's valid
   * quorum result as the answer to its request (`createQuorumResultAcceptor`).
   */
  quorum?:
    | (NonNullable<StartSubstrateSubmitterParameters['quorum']> & { ownWorker?: string | undefined })
    | undefined
  logger?: Logger | undefined
}

export type SubstrateRelayer = {
  /** The chain's genesis hash: the `chainId` of its jobs and the name of its delivery queue. */
  chainId: Hex
  connection: SubstrateConnection
  watcher: SubstrateWatcher | undefined
  submitter: SubstrateSubmitter | undefined
  /** Stops the watcher (checkpoint kept), lets the submitter finish its batch, then disconnects. */
  close(): Promise<void>
}

/**
 * Everything a node runs for one Substrate chain, in one call: the connection, the watcher (requests -> jobs)
 * and, with a fee payer, the submitter (envelopes -> extrinsics), whose account the watcher trusts as a
 * result sender (that is how results delivered just before a crash are found). `teefn node` can call it per
 * `substrate[]` entry; the worker needs a substrate registry (`createStaticFunctionRegistry(functions)`).
 */
export async function startSubstrateRelayer({
  wsUrl,
  connection,
  heads,
  submitterUri,
  keyType = 'sr25519',
  watch = true,
  startBlock,
  resultSenders = [],
  pollIntervalMs,
  triggers,
  delivery,
  submitter: submitterOptions,
  retryPolicy,
  quorum,
  logger = createLogger({ name: 'relayer-substrate' }),
}: StartSubstrateRelayerParameters): Promise<SubstrateRelayer> {
  let signer: KeyringPair | undefined
  // sr25519 (the fee payer's key, and the quorum results the watcher verifies) needs the WASM crypto.
  await cryptoWaitReady()
  if (submitterUri !== undefined) {
    try {
      signer = new Keyring({ type: keyType }).addFromUri(submitterUri)
    } catch {
      // The library's message may quote the secret: say only that it is unusable.
      throw new SubstrateRelayerError('The fee payer secret is not a valid secret URI.', {
        code: 'INVALID_SUBSTRATE_CONFIG',
        hint: 'Give a mnemonic, a 0x seed or a //Dev path (through env:NAME in the node config).',
      })
    }
  }
  const substrate = await connectSubstrate({ url: wsUrl, logger })
  let watcher: SubstrateWatcher | undefined
  let submitter: SubstrateSubmitter | undefined
  try {
    if (signer) {
      submitter = startSubstrateSubmitter({
        api: substrate.api,
        connection,
        signer,
        delivery,
        ...submitterOptions,
        retryPolicy,
        quorum,
        logger,
      })
    }
    if (watch) {
      watcher = await startSubstrateWatcher({
        api: substrate.api,
        connection,
        mode: heads,
        startBlock,
        triggers,
        resultSenders: [...(signer ? [signer.address] : []), ...resultSenders],
        acceptQuorumResult: quorum
          ? createQuorumResultAcceptor({
              api: substrate.api,
              chainId: substrate.genesisHash,
              threshold: quorum.threshold,
              workers: [...quorum.workers, ...(quorum.ownWorker ? [quorum.ownWorker] : [])],
              trigger: triggers?.[0],
            })
          : undefined,
        pollIntervalMs,
        logger,
      })
    }
  } catch (error) {
    await submitter?.close()
    await substrate.close()
    throw error
  }
  return {
    chainId: substrate.genesisHash,
    connection: substrate,
    watcher,
    submitter,
    async close() {
      await watcher?.stop()
      await submitter?.close()
      await substrate.close()
    },
  }
}
