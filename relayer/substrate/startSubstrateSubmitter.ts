import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { KeyringPair } from '@polkadot/keyring/types'
import type { EventRecord } from '@polkadot/types/interfaces'
import { UnrecoverableError, type Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Hex } from '../../runtime/enclave/bytes.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import type { ChainRef } from '../../runtime/queue/names.js'
import { startQueueWorker } from '../../runtime/queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { createRemarkDelivery } from './createRemarkDelivery.js'
import { createSubstrateStateStore, type InflightRecord } from './createSubstrateStateStore.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import { type Inclusion, type NotIncludedError, submitAndWatch } from './submitAndWatch.js'

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
  logger?: Logger | undefined
}

/** What a delivery job returns: where its result is on-chain. */
export type DeliveryReceipt = {
  requestId: Hex
  blockHash: Hex
  extrinsicIndex: number
  /** True when the result was found on-chain already and nothing was sent. */
  alreadyDelivered: boolean
  nonce?: number | undefined
  /** Envelopes in the extrinsic that carried this one. */
  batchSize?: number | undefined
  /** ms since epoch: sent, and seen included. */
  submittedAt?: number | undefined
  includedAt?: number | undefined
}

export type SubstrateSubmitterStats = {
  /** Extrinsics sent, and those included with success. */
  sent: number
  included: number
  /** Envelopes delivered by this submitter. */
  delivered: number
  /** Deliveries skipped because their result was already on-chain. */
  alreadyDelivered: number
  /** Extrinsics refused by the node (stale nonce, fees) and sent again at once with a fresh nonce. */
  resubmitted: number
  /** Extrinsics dropped, failed or not included in time: their jobs are retried by the queue. */
  failed: number
  /** Nonce re-reads from the node after a failure. */
  nonceResyncs: number
}

export type SubstrateSubmitter = {
  worker: Worker<DeliveryJobData, DeliveryReceipt>
  /** SS58 address of the fee payer. */
  address: string
  stats(): SubstrateSubmitterStats
  /** Stops taking deliveries; those being sent finish first. */
  close(): Promise<void>
}

type Item = {
  data: DeliveryJobData
  requestId: Hex
  resubmits: number
  resolve: (receipt: DeliveryReceipt) => void
  reject: (error: unknown) => void
}

/** How often a retried delivery re-checks an earlier attempt still in the pool. */
const pendingPollMs = 1_000

/**
 * Delivers signed envelopes to a Substrate chain: a BullMQ worker on the chain's delivery queue that batches
 * pending envelopes into one `utility.batchAll` extrinsic, signed with explicit nonces by the fee payer.
 *
 * Exactly once per request: a delivery whose result is already on-chain (the delivered index, written by
 * this submitter on inclusion and by the watcher when it sees a result remark from the fee payer) is not
 * sent again. Before sending, an in-flight marker (nonce, extrinsic hash, block) is stored; a retried
 * delivery with a marker first settles the earlier attempt: included -> done; still in the pool -> wait;
 * its nonce used by something else, or gone from the pool -> send again. A refused extrinsic (stale nonce)
 * re-reads the nonce and is sent again at once. See the README for what remains (a dropped extrinsic kept
 * by another node's pool).
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
  logger = createLogger({ name: 'relayer-substrate' }),
}: StartSubstrateSubmitterParameters): SubstrateSubmitter {
  const chainId = api.genesisHash.toHex()
  const address = signer.address
  const log = logger.child({ component: 'submitter', chainId, feePayer: address })
  const store = createSubstrateStateStore({ redis: connection, chainId })
  const stats: SubstrateSubmitterStats = {
    sent: 0,
    included: 0,
    delivered: 0,
    alreadyDelivered: 0,
    resubmitted: 0,
    failed: 0,
    nonceResyncs: 0,
  }
  const pending: Item[] = []
  let sending = false
  let linger: NodeJS.Timeout | undefined
  let nextNonce: number | undefined

  const schedule = () => {
    if (sending || pending.length === 0) return
    if (pending.length >= maxBatchSize) {
      void flush()
    } else if (!linger) {
      linger = setTimeout(() => {
        linger = undefined
        void flush()
      }, batchLingerMs)
    }
  }

  const flush = async () => {
    if (linger) {
      clearTimeout(linger)
      linger = undefined
    }
    if (sending || pending.length === 0) return
    sending = true
    const batch = pending.splice(0, maxBatchSize)
    try {
      await sendBatch(batch)
    } catch (error) {
      // sendBatch settles its items itself; anything left is a bug or an RPC failure before sending.
      for (const item of batch) item.reject(error)
    } finally {
      sending = false
      schedule()
    }
  }

  const resyncNonce = () => {
    nextNonce = undefined
    stats.nonceResyncs++
  }

  async function sendBatch(batch: Item[]): Promise<void> {
    const calls: SubmittableExtrinsic<'promise'>[] = []
    const items: Item[] = []
    for (const item of batch) {
      try {
        calls.push(delivery.buildCall(api, item.data))
        items.push(item)
      } catch (error) {
        item.reject(new UnrecoverableError(`cannot build the delivery call: ${(error as Error)?.message}`))
      }
    }
    if (items.length === 0) return
    const tx = calls.length === 1 ? calls[0]! : api.tx.utility.batchAll(calls)
    if (nextNonce === undefined) nextNonce = (await api.rpc.system.accountNextIndex(address)).toNumber()
    const nonce = nextNonce
    await tx.signAsync(signer, { nonce })
    const txHash = tx.hash.toHex()
    const sentAtBlock = (await api.rpc.chain.getHeader()).number.toNumber()
    const ids = items.map((item) => item.requestId)
    await store.setInflight(ids, { nonce, txHash, sentAtBlock, sentAt: Date.now() })
    nextNonce = nonce + 1
    const submittedAt = Date.now()
    stats.sent++
    let included: Inclusion
    try {
      included = await submitAndWatch(api, tx, { until: inclusion, timeoutMs: inclusionTimeoutMs })
    } catch (error) {
      resyncNonce()
      const outcome = error as Partial<NotIncludedError>
      // Only a refusal says it cannot land; any other failure (e.g. reading the block after inclusion) may
      // hide an included extrinsic, so the marker stays and the retry settles it.
      if (outcome.canLand === false) {
        // Refused or invalid: this extrinsic can never be included, so sending again is safe.
        await store.clearInflight(ids)
        const again = items.filter((item) => item.resubmits < 2)
        for (const item of items) if (!again.includes(item)) item.reject(error)
        if (again.length > 0) {
          stats.resubmitted++
          log.warn(
            { nonce, batch: items.length, err: outcome.details },
            'delivery refused; sending again with a fresh nonce',
          )
          for (const item of again) item.resubmits++
          pending.unshift(...again)
        }
        return
      }
      // Dropped or not included in time: it may still land; the marker lets the retry find out.
      stats.failed++
      log.warn(
        { nonce, txHash, batch: items.length, err: outcome.details },
        'delivery not confirmed; will retry',
      )
      for (const item of items) item.reject(error)
      return
    }
    if (included.failed) {
      // Included but failed (batchAll reverts all): nothing was delivered, and this nonce is used up.
      stats.failed++
      await store.clearInflight(ids)
      const error = new SubstrateRelayerError('DELIVERY_NOT_INCLUDED', 'The delivery extrinsic failed.', {
        details: `${included.failed} in block ${included.blockHash}`,
        hint: 'Check the fee payer balance and the runtime limits on remarks and batches.',
      })
      for (const item of items) item.reject(error)
      return
    }
    const includedAt = Date.now()
    stats.included++
    stats.delivered += items.length
    await store.markDelivered(
      ids.map((requestId) => ({
        requestId,
        record: { blockHash: included.blockHash, extrinsicIndex: included.index, by: 'submitter' as const },
      })),
    )
    await store.clearInflight(ids)
    log.info(
      { block: included.blockHash, extrinsic: included.index, nonce, batch: items.length },
      'results delivered',
    )
    for (const item of items) {
      item.resolve({
        requestId: item.requestId,
        blockHash: included.blockHash,
        extrinsicIndex: included.index,
        alreadyDelivered: false,
        nonce,
        batchSize: items.length,
        submittedAt,
        includedAt,
      })
    }
  }

  /**
   * Settles an earlier attempt of a retried delivery: the receipt if it landed, undefined to send again.
   * While that extrinsic is still in the node's pool it waits (up to `inclusionTimeoutMs`), since sending
   * again then could deliver twice.
   */
  async function settleInflight(
    requestId: Hex,
    marker: InflightRecord,
  ): Promise<DeliveryReceipt | undefined> {
    const deadline = Date.now() + inclusionTimeoutMs
    for (;;) {
      const account = await api.query.system.account(address)
      if (account.nonce.toNumber() > marker.nonce) {
        const found = await findIncluded(marker)
        if (found && !found.failed) {
          await store.markDelivered([
            {
              requestId,
              record: { blockHash: found.blockHash, extrinsicIndex: found.index, by: 'submitter' },
            },
          ])
          await store.clearInflight([requestId])
          return {
            requestId,
            blockHash: found.blockHash,
            extrinsicIndex: found.index,
            alreadyDelivered: true,
          }
        }
        // Its nonce went to another extrinsic (or it failed): the earlier attempt can never land.
        await store.clearInflight([requestId])
        return undefined
      }
      const pool = await api.rpc.author.pendingExtrinsics()
      if (!pool.some((extrinsic) => extrinsic.hash.toHex() === marker.txHash)) {
        // Neither included nor pending here: dropped. See the README for the one case this cannot rule out.
        await store.clearInflight([requestId])
        return undefined
      }
      if (Date.now() > deadline) {
        throw new SubstrateRelayerError(
          'DELIVERY_STILL_PENDING',
          'An earlier delivery is still in the pool.',
          {
            details: `extrinsic ${marker.txHash} with nonce ${marker.nonce}`,
          },
        )
      }
      await new Promise((resolve) => setTimeout(resolve, pendingPollMs))
    }
  }

  async function findIncluded(
    marker: InflightRecord,
  ): Promise<{ blockHash: Hex; index: number; failed: boolean } | undefined> {
    const head = (await api.rpc.chain.getHeader()).number.toNumber()
    const from = Math.max(marker.sentAtBlock, head - maxSearchBlocks + 1)
    for (let number = from; number <= head; number++) {
      const blockHash = (await api.rpc.chain.getBlockHash(number)).toHex()
      const block = await api.rpc.chain.getBlock(blockHash)
      const index = block.block.extrinsics.findIndex((extrinsic) => extrinsic.hash.toHex() === marker.txHash)
      if (index < 0) continue
      const events = (await (await api.at(blockHash)).query.system.events()) as unknown as EventRecord[]
      const failed = events.some(
        ({ phase, event }) =>
          phase.isApplyExtrinsic &&
          phase.asApplyExtrinsic.toNumber() === index &&
          event.section === 'system' &&
          event.method === 'ExtrinsicFailed',
      )
      return { blockHash, index, failed }
    }
    return undefined
  }

  async function processDelivery(data: DeliveryJobData): Promise<DeliveryReceipt> {
    const requestId = data.envelope.requestId
    const [done] = await store.getDelivered([requestId])
    if (done) {
      stats.alreadyDelivered++
      log.info({ requestId, block: done.blockHash }, 'result already on-chain; not sent again')
      return {
        requestId,
        blockHash: done.blockHash,
        extrinsicIndex: done.extrinsicIndex,
        alreadyDelivered: true,
      }
    }
    const [marker] = await store.getInflight([requestId])
    if (marker) {
      const settled = await settleInflight(requestId, marker)
      if (settled) {
        stats.alreadyDelivered++
        return settled
      }
    }
    return new Promise<DeliveryReceipt>((resolve, reject) => {
      pending.push({ data, requestId, resubmits: 0, resolve, reject })
      schedule()
    })
  }

  const worker = startQueueWorker<ChainRef, DeliveryReceipt>({
    queue: { family: 'substrate', chainId },
    connection,
    process: (job) => processDelivery(job.data),
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

  return {
    worker,
    address,
    stats: () => ({ ...stats }),
    async close() {
      await worker.close()
      log.info(stats, 'substrate submitter stopped')
    },
  }
}
