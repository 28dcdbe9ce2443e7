import { DelayedError, type Job, UnrecoverableError, type Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import type { ChainRef } from '../../runtime/queue/names.js'
import { startQueueWorker } from '../../runtime/queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { createDeliveryBatcher } from '../shared/createDeliveryBatcher.js'
import { createFulfilmentSender } from './createFulfilmentSender.js'
import {
  createQuorumDelivery,
  type QuorumDeliveryResult,
  type QuorumSettings,
} from './createQuorumDelivery.js'
import { createRerunQueue, type RerunReason, rerunReasonOf } from './createRerunQueue.js'
import type { TransactionSender } from './createTransactionSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import type { FulfilmentResult } from './Fulfilment.js'
import { type PendingFulfilment, sendFulfilmentGroup } from './sendFulfilmentGroup.js'
import { toFulfilment } from './toFulfilment.js'

export type StartEvmSubmitterParameters = {
  /** BullMQ connection (see `createRedisConnection`). */
  connection: Redis
  /** The chain whose delivery queue this submitter drains (decimal). */
  chainId: number | bigint | string
  /** HTTP JSON-RPC endpoint. */
  rpcUrl: string
  /** The relayer account's key (0x-hex). It pays for gas; one submitter per key, or nonces collide. */
  privateKey: string
  /** Most envelopes per `fulfillBatch`; 25 by default. */
  maxBatchSize?: number | undefined
  /** Fulfilment transactions in flight at once (consecutive nonces); 4 by default. */
  maxInFlight?: number | undefined
  /**
   * After a send, the next transaction waits until this much time has passed (unless a full batch is
   * ready), so deliveries that arrive meanwhile share it: under load, fewer and fuller `fulfillBatch`
   * transactions; at low rates no delay at all. 30 ms by default; 0 sends whenever a slot is free.
   */
  batchWindowMs?: number | undefined
  /** Gas headroom in percent (see `createFulfilmentSender`); 25 by default. */
  gasHeadroomPercent?: number | undefined
  /** How long a sent transaction may take to be mined before the delivery is retried; 60 s by default. */
  receiptTimeoutMs?: number | undefined
  /** How failed deliveries (node down, reverts) are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /**
   * How often a request is run again after the consumer refused its answer for a reason a new run fixes (the
   * function was upgraded, or the worker's admission lapsed, in between); 5 by default.
   */
  maxReruns?: number | undefined
  /**
   * Result quorums: deliveries whose consumer demands k > 1 are exchanged with these peers and submitted as one
   * `fulfillQuorum` by the node whose turn it is (`createQuorumDelivery`). Without it such a delivery waits for
   * k agreeing envelopes that only this node's worker could give.
   */
  quorum?: QuorumSettings | undefined
  logger?: Logger | undefined
}

/** What became of a delivery: the fulfilment's outcome, or a new run of its request. */
export type EvmDeliveryResult =
  | FulfilmentResult
  | QuorumDeliveryResult
  | {
      outcome: 'rerun'
      /** The consumer's reason for refusing this answer. */
      reason: RerunReason
      /** The run number of the request job queued anew. */
      run: number
    }

export type EvmSubmitterStats = {
  /** Envelopes accepted on-chain by this submitter. */
  fulfilled: number
  /** Deliveries completed without a transaction (or with one the consumer skipped): answered already. */
  alreadyFulfilled: number
  /** Deliveries the consumer refused (failed for good, kept in the failed set). */
  rejected: number
  /** Deliveries refused for a reason a new run fixes, whose request was queued again. */
  reruns: number
  /** Attempts that failed and are retried (while the job has attempts left). */
  retried: number
  /** Deliveries re-checked on-chain before being sent again (retries, jobs a crashed submitter held). */
  rechecked: number
  /** Transactions broadcast. */
  transactions: number
  /** Groups of several deliveries sent as one `fulfillBatch`. */
  batches: number
}

export type EvmSubmitter = {
  /** The relayer account. */
  readonly address: string
  /** The key's transaction sender: other transactions from this key go through it, or nonces collide. */
  readonly transactions: TransactionSender
  readonly worker: Worker<DeliveryJobData, EvmDeliveryResult>
  /** The batching settings in effect (defaults filled in). */
  readonly settings: { maxBatchSize: number; maxInFlight: number; batchWindowMs: number }
  stats(): EvmSubmitterStats
  /** Stops taking deliveries, waits for the transactions in flight, and destroys the provider. */
  close(): Promise<void>
}

type Pending = PendingFulfilment & { destination: string }

/** How long a quorum delivery that gathered too few answers waits before it gathers again. */
const quorumRecheckMs = 1_000

/**
 * Drains the chain's delivery queue into fulfilment transactions. Deliveries wait in the shared batcher: up to
 * `maxInFlight` transactions go out at once with consecutive nonces, at most one per `batchWindowMs`, and
 * deliveries that queue up meanwhile leave together in one `fulfillBatch` (per consumer, `createFulfilmentSender`).
 * Right before sending, every delivery that ran before (a retry, or a job a crashed submitter held) is re-checked
 * on-chain (`checkStillPending`): one answered already completes without a transaction. A first run skips the
 * check (the consumer refuses a duplicate anyway, and it cost a node call per request). A refused envelope fails
 * its delivery for good with the consumer's reason (`DeliveryRejectedError` text in `failedReason`), unless a new
 * run fixes it (`rerunReasonOf`); anything else (RPC down, a revert, no receipt) is retried with the queue's backoff.
 */
export function startEvmSubmitter({
  connection,
  chainId: chainIdInput,
  rpcUrl,
  privateKey,
  maxBatchSize = 25,
  maxInFlight = 4,
  batchWindowMs = 30,
  gasHeadroomPercent,
  receiptTimeoutMs,
  retryPolicy = defaultRetryPolicy,
  maxReruns = 5,
  quorum = { peers: [] },
  logger = createLogger({ name: 'relayer-evm' }),
}: StartEvmSubmitterParameters): EvmSubmitter {
  const chainId = BigInt(chainIdInput)
  const log = logger.child({ chainId: chainId.toString(), component: 'evm-submitter' })
  const rpc = createRpcClient({ url: rpcUrl })
  const sender = createFulfilmentSender({
    rpc,
    privateKey,
    chainId,
    gasHeadroomPercent,
    receiptTimeoutMs,
    logger: log,
  })
  const reruns = createRerunQueue(connection)
  const quorumDelivery = createQuorumDelivery({
    ...quorum,
    connection,
    rpc,
    transactions: sender.transactions,
    gasHeadroomPercent,
    receiptTimeoutMs,
    logger: log,
  })
  const stats: Omit<EvmSubmitterStats, 'transactions'> = {
    fulfilled: 0,
    alreadyFulfilled: 0,
    rejected: 0,
    reruns: 0,
    retried: 0,
    rechecked: 0,
    batches: 0,
  }

  const send = async (deliveries: Pending[], destination: string) => {
    // Counted before the check: a check the node could not answer was still one, and is retried.
    stats.rechecked += deliveries.filter((item) => item.rerun).length
    const group = await sendFulfilmentGroup({ rpc, sender, destination, deliveries })
    if (group.sent > 1) stats.batches++
    return group.results
  }
  const batcher = createDeliveryBatcher({
    send,
    groupOf: (item) => item.destination,
    maxBatchSize,
    maxInFlight,
    windowMs: batchWindowMs,
  })

  const deliverOnce = async (job: Job<DeliveryJobData, EvmDeliveryResult>): Promise<EvmDeliveryResult> => {
    const { envelope, request } = job.data
    const fulfilment = toFulfilment(job.data, chainId)
    const destination = checksumAddress(envelope.destination)
    const rerun = job.attemptsMade > 0 || job.attemptsStarted > 1
    try {
      const result =
        (job.data.policy?.threshold ?? 1) > 1
          ? await quorumDelivery.deliver(job.data)
          : await batcher.add({ destination, fulfilment, rerun })
      if (result.outcome === 'waiting') return result
      if (result.outcome === 'fulfilled') stats.fulfilled++
      else stats.alreadyFulfilled++
      log.debug({ requestId: envelope.requestId, ...result }, 'delivered')
      return result
    } catch (error) {
      const reason = rerunReasonOf(error, request.run, maxReruns)
      if (reason) {
        // The answer was right for the chain the worker read; the chain moved on. A new run reads it again.
        const run = await reruns.add(request)
        stats.reruns++
        log.info({ requestId: envelope.requestId, reason, run }, 'refused; the request runs again')
        return { outcome: 'rerun', reason, run }
      }
      // Final: BullMQ fails an UnrecoverableError at once and keeps the job (with this text) inspectable.
      if (error instanceof DeliveryRejectedError) throw new UnrecoverableError(error.message)
      throw error
    }
  }

  const deliver = async (job: Job<DeliveryJobData, EvmDeliveryResult>): Promise<EvmDeliveryResult> => {
    let result: EvmDeliveryResult
    try {
      result = await deliverOnce(job)
    } catch (error) {
      const final = error instanceof UnrecoverableError
      if (final) stats.rejected++
      else stats.retried++
      const attempt = job.attemptsMade + 1
      log.warn(
        { jobId: job.id, attempt, err: shortError(error) },
        final ? 'delivery refused for good' : 'delivery failed; retrying',
      )
      throw error
    }
    if (result.outcome === 'waiting') {
      // No quorum yet: the job gives its slot back and comes again, counting no attempt.
      await job.moveToDelayed(Date.now() + quorumRecheckMs, job.token)
      throw new DelayedError()
    }
    return result
  }

  const worker = startQueueWorker<ChainRef, EvmDeliveryResult>({
    queue: { family: 'evm', chainId: chainId.toString() },
    connection,
    process: deliver,
    // Enough deliveries in hand to fill every transaction in flight.
    concurrency: maxBatchSize * maxInFlight,
    retryPolicy,
  })
  worker.on('error', (error) => log.error({ err: shortError(error) }, 'delivery worker error'))
  log.info({ address: sender.address, maxBatchSize, maxInFlight, batchWindowMs }, 'EVM submitter started')

  return {
    address: sender.address,
    transactions: sender.transactions,
    worker,
    settings: { maxBatchSize, maxInFlight, batchWindowMs },
    stats: () => ({ ...stats, transactions: sender.sent }),
    async close() {
      await worker.close()
      await quorumDelivery.close()
      await reruns.close()
      batcher.close()
      rpc.close()
      log.info('EVM submitter stopped')
    },
  }
}

function shortError(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!
}
