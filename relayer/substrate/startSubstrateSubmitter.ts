import type { ApiPromise } from '@polkadot/api'
import type { KeyringPair } from '@polkadot/keyring/types'
import { DelayedError, type Job, type Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Hex } from '../../runtime/bytes.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import type { ChainRef } from '../../runtime/queue/names.js'
import { startQueueWorker } from '../../runtime/queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { createDeliveryBatcher } from '../shared/createDeliveryBatcher.js'
import type { QuorumGathererSettings } from '../shared/createQuorumGatherer.js'
import { createRemarkDelivery } from './createRemarkDelivery.js'
import {
  createSubstrateDeliverySender,
  type SubstrateDeliverySenderStats,
} from './createSubstrateDeliverySender.js'
import { createSubstrateQuorumDelivery, type SubstrateResultQuorum } from './createSubstrateQuorumDelivery.js'
import { createSubstrateStateStore } from './createSubstrateStateStore.js'
import type { DeliveryReceipt } from './DeliveryReceipt.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'
import { settleInflightDelivery } from './settleInflightDelivery.js'

export type StartSubstrateSubmitterParameters = {
  api: ApiPromise
  /** Redis for the delivery queue and the delivered index (`createRedisConnection`). */
  connection: Redis
  /** Signs the delivery extrinsics and pays their fees (a keyring pair from the operator's seed; never logged). */
  signer: KeyringPair
  /** How an envelope becomes a call; the remark protocol by default. */
  delivery?: SubstrateDelivery | undefined
  /** When a delivery counts as done: in a block (default) or finalized. */
  inclusion?: 'inBlock' | 'finalized' | undefined
  /** Most envelopes in one `utility.batchAll`; 25 by default. */
  maxBatchSize?: number | undefined
  /** How long the first envelope of a batch waits for others; 20 ms by default. */
  batchLingerMs?: number | undefined
  /** A sent extrinsic not included by then is given up on (and its inclusion checked on retry); 120 s by default. */
  inclusionTimeoutMs?: number | undefined
  /** Blocks searched for an earlier attempt's extrinsic when a delivery is retried; 256 by default. */
  maxSearchBlocks?: number | undefined
  /** How failed deliveries are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /**
   * The chain's result quorum and the peers to exchange answers with: with `threshold` above 1 every delivery
   * gathers k agreeing envelopes and one node sends them in one quorum result remark
   * (`createSubstrateQuorumDelivery`).
   */
  quorum?: (SubstrateResultQuorum & QuorumGathererSettings) | undefined
  logger?: Logger | undefined
}

/** How long a quorum delivery that gathered too few answers waits before it gathers again. */
const quorumRecheckMs = 1_000

export type { DeliveryReceipt } from './DeliveryReceipt.js'

export type SubstrateSubmitterStats = SubstrateDeliverySenderStats & {
  /** Deliveries skipped because their result was already on-chain. */
  alreadyDelivered: number
}

export type SubstrateSubmitter = {
  worker: Worker<DeliveryJobData, DeliveryReceipt>
  /** SS58 address of the fee payer. */
  address: string
  stats(): SubstrateSubmitterStats
  /** Stops taking deliveries; those being sent finish first. */
  close(): Promise<void>
}

/**
 * Delivers signed envelopes to a Substrate chain: a BullMQ worker on the chain's delivery queue whose envelopes
 * wait in the shared batcher (`batchLingerMs`, one extrinsic in flight: chopsticks and most pools want the next
 * nonce only after the previous one was accepted) and leave as one `utility.batchAll`
 * (`createSubstrateDeliverySender`: explicit nonces, in-flight markers, resubmits).
 *
 * Exactly once per request: a delivery whose result is already on-chain (the delivered index, written by
 * this submitter on inclusion and by the watcher when it sees a result remark from the fee payer) is not
 * sent again, and a retried delivery with an in-flight marker first settles that attempt
 * (`settleInflightDelivery`). See the README for what remains (a dropped extrinsic kept by another node's pool).
 */
export function startSubstrateSubmitter({
  api,
  connection,
  signer,
  delivery = createRemarkDelivery(),
  inclusion = 'inBlock',
  maxBatchSize = 25,
  batchLingerMs = 20,
  inclusionTimeoutMs = 120_000,
  maxSearchBlocks = 256,
  retryPolicy = defaultRetryPolicy,
  quorum,
  logger = createLogger({ name: 'relayer-substrate' }),
}: StartSubstrateSubmitterParameters): SubstrateSubmitter {
  const chainId = api.genesisHash.toHex()
  const address = signer.address
  const log = logger.child({ component: 'submitter', chainId, feePayer: address })
  const store = createSubstrateStateStore({ redis: connection, chainId })
  const sender = createSubstrateDeliverySender({
    api,
    signer,
    store,
    delivery,
    inclusion,
    inclusionTimeoutMs,
    logger: log,
  })
  const batcher = createDeliveryBatcher<SubstrateDeliveryData, DeliveryReceipt>({
    send: (deliveries) => sender.send(deliveries),
    maxBatchSize,
    lingerMs: batchLingerMs,
  })
  const quorumDelivery =
    quorum && quorum.threshold > 1
      ? createSubstrateQuorumDelivery({
          ...quorum,
          connection,
          chainId,
          store,
          send: (data) => batcher.add(data),
          logger: log,
        })
      : undefined
  let alreadyDelivered = 0

  /** A quorum: gathered, then sent by this node when its turn comes and no other node's result landed first. */
  const deliverQuorum = async (data: DeliveryJobData): Promise<DeliveryReceipt | 'waiting'> => {
    const result = await quorumDelivery!.deliver(data)
    if ('requestId' in result) return result
    if (result.outcome === 'waiting') return 'waiting'
    alreadyDelivered++
    const requestId = data.envelope.requestId
    const [done] = await store.getDelivered([requestId])
    log.info({ requestId, rank: result.rank, block: done?.blockHash }, 'another node delivered the quorum')
    const { blockHash, extrinsicIndex } = done ?? { blockHash: undefined, extrinsicIndex: -1 }
    return { requestId, blockHash: blockHash as Hex, extrinsicIndex, alreadyDelivered: true }
  }

  const processDelivery = async (data: DeliveryJobData): Promise<DeliveryReceipt | 'waiting'> => {
    const requestId = data.envelope.requestId
    const [done] = await store.getDelivered([requestId])
    if (done) {
      alreadyDelivered++
      log.info({ requestId, block: done.blockHash }, 'result already on-chain; not sent again')
      const { blockHash, extrinsicIndex } = done
      return { requestId, blockHash, extrinsicIndex, alreadyDelivered: true }
    }
    const [marker] = await store.getInflight([requestId])
    const settled =
      marker &&
      (await settleInflightDelivery({
        api,
        store,
        address,
        requestId,
        marker,
        timeoutMs: inclusionTimeoutMs,
        maxSearchBlocks,
      }))
    if (settled) {
      alreadyDelivered++
      return settled
    }
    return quorumDelivery ? deliverQuorum(data) : batcher.add(data)
  }

  const processJob = async (job: Job<DeliveryJobData, DeliveryReceipt>): Promise<DeliveryReceipt> => {
    const result = await processDelivery(job.data)
    if (result !== 'waiting') return result
    // No quorum yet: the job gives its slot back and comes again, counting no attempt.
    await job.moveToDelayed(Date.now() + quorumRecheckMs, job.token)
    throw new DelayedError()
  }

  const worker = startQueueWorker<ChainRef, DeliveryReceipt>({
    queue: { family: 'substrate', chainId },
    connection,
    process: processJob,
    // Jobs wait in the batcher together: let at least two batches' worth be active at once.
    concurrency: maxBatchSize * 2,
    lockDurationMs: Math.max(30_000, inclusionTimeoutMs / 2),
    retryPolicy,
  })
  worker.on('failed', (job, error) => {
    log.warn(
      { job: job?.id, attempts: job?.attemptsMade, err: error.message.split('\n')[0] },
      'delivery attempt failed',
    )
  })
  api.query.system
    .account(address)
    .then((account) => {
      if (account.data.free.isZero())
        log.warn('the fee payer has no free balance: deliveries will be refused')
    })
    .catch(() => {})
  log.info({ inclusion, maxBatchSize }, 'substrate submitter started')

  const stats = (): SubstrateSubmitterStats => ({ ...sender.stats(), alreadyDelivered })
  return {
    worker,
    address,
    stats,
    async close() {
      await worker.close()
      await quorumDelivery?.close()
      batcher.close()
      log.info(stats(), 'substrate submitter stopped')
    },
  }
}
