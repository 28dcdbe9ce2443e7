import { type Job, type Queue, UnrecoverableError, type Worker } from 'bullmq'
import { id, Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import { requestStateName } from '../../runtime/chain/evm/consumerCodes.js'
import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import type { ChainRef } from '../../runtime/queue/names.js'
import { openRequestQueue, startQueueWorker } from '../../runtime/queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { statusCode } from '../../runtime/resultStatus.js'
import { createDeliveryBatcher } from '../shared/createDeliveryBatcher.js'
import { createFulfilmentSender, type Fulfilment, type FulfilmentResult } from './createFulfilmentSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import type { EnvelopeCalldata } from './encodeFulfilmentCalldata.js'

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
  logger?: Logger | undefined
}

/** What became of a delivery: the fulfilment's outcome, or a new run of its request. */
export type EvmDeliveryResult =
  | FulfilmentResult
  | {
      outcome: 'rerun'
      /** The consumer's reason for refusing this answer. */
      reason: 'CodeHashMismatch' | 'WorkerNotActive'
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
  readonly worker: Worker<DeliveryJobData, EvmDeliveryResult>
  /** The batching settings in effect (defaults filled in). */
  readonly settings: { maxBatchSize: number; maxInFlight: number; batchWindowMs: number }
  stats(): EvmSubmitterStats
  /** Stops taking deliveries, waits for the transactions in flight, and destroys the provider. */
  close(): Promise<void>
}

type Pending = {
  destination: string
  fulfilment: Fulfilment
  /** A delivery run before (a retry, or a job a crashed submitter held): it may have landed already. */
  rerun: boolean
  settled?: PromiseSettledResult<FulfilmentResult> | undefined
}

const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason })

/**
 * Drains the chain's delivery queue into fulfilment transactions. Deliveries wait in a small batcher: up to
 * `maxInFlight` transactions go out at once with consecutive nonces, at most one per `batchWindowMs`, and
 * deliveries that queue up meanwhile leave together in one `fulfillBatch` (per consumer). Right before
 * sending, every delivery that ran before (a retry, or a job a crashed submitter held) is re-checked on-chain
 * (`requestInfo`, one JSON-RPC batch): one answered already completes without a transaction. A first run
 * skips the check (the consumer refuses a duplicate anyway, and it cost a node call per request). A refused
 * envelope fails its delivery for good with the consumer's reason (`DeliveryRejectedError` text in
 * `failedReason`); anything else (RPC down, a revert, no receipt) is retried with the queue's backoff.
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
  logger = createLogger({ name: 'relayer-evm' }),
}: StartEvmSubmitterParameters): EvmSubmitter {
  const chainId = BigInt(chainIdInput)
  const log = logger.child({ chainId: chainId.toString(), component: 'evm-submitter' })
  const rpc = createRpcClient({ url: rpcUrl })
  const signer = new Wallet(privateKey)
  const sender = createFulfilmentSender({
    rpc,
    signer,
    chainId,
    gasHeadroomPercent,
    receiptTimeoutMs,
    logger: log,
  })
  const stats: EvmSubmitterStats = {
    fulfilled: 0,
    alreadyFulfilled: 0,
    rejected: 0,
    reruns: 0,
    retried: 0,
    rechecked: 0,
    transactions: 0,
    batches: 0,
  }

  /**
   * Re-checks the requests on-chain (one JSON-RPC batch of `requestInfo` calls) and settles those that need no
   * transaction: answered already (by us before a crash or a lost receipt, or by another relayer), or never
   * issued by the consumer. Returns the ones still pending.
   */
  const stillPending = async (destination: string, batch: Pending[]): Promise<Pending[]> => {
    stats.rechecked += batch.length
    const states = await rpc.batch<string>(
      batch.map((item) => ({
        method: 'eth_call',
        params: [
          { to: destination, data: `${requestInfoSelector}${item.fulfilment.requestId.slice(2)}` },
          'latest',
        ],
      })),
    )
    const pending: Pending[] = []
    for (const [index, answer] of states.entries()) {
      const item = batch[index]!
      if (answer.status === 'rejected') {
        item.settled = answer
        continue
      }
      // functionId | requester | nonce | deadline | state
      const state = requestStateName(Number.parseInt(answer.value.slice(2 + 256, 2 + 320), 16))
      const { requestId } = item.fulfilment
      if (state === 'Pending') pending.push(item)
      else if (state === 'None') {
        item.settled = rejected(
          new DeliveryRejectedError({ reason: 'UnknownRequest', requestId, destination }),
        )
      } else if (state === 'Cancelled' || state === 'Expired') {
        const reason = state === 'Cancelled' ? 'RequestCancelled' : 'RequestExpired'
        item.settled = rejected(new DeliveryRejectedError({ reason, requestId, destination }))
      } else item.settled = { status: 'fulfilled', value: { outcome: 'alreadyFulfilled' } }
    }
    return pending
  }

  const send = async (batch: Pending[], destination: string) => {
    const reruns = batch.filter((item) => item.rerun)
    const pending =
      reruns.length === 0
        ? batch
        : [...batch.filter((item) => !item.rerun), ...(await stillPending(destination, reruns))]
    if (pending.length > 0) {
      if (pending.length > 1) stats.batches++
      const results = await sender.send(
        destination,
        pending.map((item) => item.fulfilment),
      )
      pending.forEach((item, index) => {
        item.settled = results[index]
      })
    }
    return batch.map((item) => item.settled!)
  }
  const batcher = createDeliveryBatcher<Pending, FulfilmentResult>({
    send,
    groupOf: (item) => item.destination,
    maxBatchSize,
    maxInFlight,
    windowMs: batchWindowMs,
  })

  // Re-runs go back to the request queue, as the watcher's jobs do.
  let requests: Queue<RequestJobData, RequestJobResult> | undefined
  const queueRerun = async (request: RequestJobData): Promise<number> => {
    requests ??= openRequestQueue(connection)
    const run = (request.run ?? 0) + 1
    const next = { ...request, run, seenAt: Date.now() }
    await requests.add('request', next, { jobId: requestJobId(next) })
    return run
  }

  const deliver = async (job: Job<DeliveryJobData, EvmDeliveryResult>): Promise<EvmDeliveryResult> => {
    try {
      return await deliverOnce(job)
    } catch (error) {
      if (error instanceof UnrecoverableError) {
        stats.rejected++
        log.warn({ jobId: job.id, err: shortError(error) }, 'delivery refused for good')
      } else {
        stats.retried++
        log.warn(
          { jobId: job.id, attempt: job.attemptsMade + 1, err: shortError(error) },
          'delivery failed; retrying',
        )
      }
      throw error
    }
  }

  const deliverOnce = async (job: Job<DeliveryJobData, EvmDeliveryResult>): Promise<EvmDeliveryResult> => {
    const { envelope } = job.data
    const fulfilment = toFulfilment(job.data, chainId)
    const destination = checksumAddress(envelope.destination)
    const ranBefore = job.attemptsMade > 0 || job.attemptsStarted > 1
    try {
      const result = await batcher.add({ destination, fulfilment, rerun: ranBefore })
      if (result.outcome === 'fulfilled') stats.fulfilled++
      else stats.alreadyFulfilled++
      log.debug({ requestId: envelope.requestId, ...result }, 'delivered')
      return result
    } catch (error) {
      if (
        error instanceof DeliveryRejectedError &&
        (error.reason === 'CodeHashMismatch' || error.reason === 'WorkerNotActive') &&
        (job.data.request.run ?? 0) < maxReruns
      ) {
        // The answer was right for the chain the worker read; the chain moved on. A new run reads it again.
        const run = await queueRerun(job.data.request)
        stats.reruns++
        log.info(
          { requestId: envelope.requestId, reason: error.reason, run },
          'refused; the request runs again',
        )
        return { outcome: 'rerun', reason: error.reason, run }
      }
      // Final: BullMQ fails an UnrecoverableError at once and keeps the job (with this text) inspectable.
      if (error instanceof DeliveryRejectedError) throw new UnrecoverableError(error.message)
      throw error
    }
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
  log.info({ address: signer.address, maxBatchSize, maxInFlight, batchWindowMs }, 'EVM submitter started')

  return {
    address: signer.address,
    worker,
    settings: { maxBatchSize, maxInFlight, batchWindowMs },
    stats: () => ({ ...stats, transactions: sender.sent }),
    async close() {
      await worker.close()
      await requests?.close()
      batcher.close()
      rpc.close()
      log.info('EVM submitter stopped')
    },
  }
}

const requestInfoSelector = id('requestInfo(bytes32)').slice(0, 10)

/** The calldata form of a delivery's envelope; a delivery for another chain or family is refused for good. */
function toFulfilment({ envelope }: DeliveryJobData, chainId: bigint): Fulfilment {
  const status = statusCode(envelope.status)
  if (envelope.family !== 'evm' || envelope.chainId !== chainId.toString() || status < 0) {
    throw new UnrecoverableError(
      `The delivery is not an envelope for EVM chain ${chainId} (family ${envelope.family}, chain ${envelope.chainId}, status ${envelope.status}).`,
    )
  }
  const struct: EnvelopeCalldata = {
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status,
    result: envelope.result,
    signature: envelope.signature,
  }
  return { requestId: envelope.requestId, envelope: struct }
}

function shortError(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!
}
