import { DelayedError, type Job, type Queue, UnrecoverableError, type Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { ChainReadError } from '../chain/ChainReadError.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import type { Logger } from '../logging/createLogger.js'
import { requestJobId } from '../queue/jobIds.js'
import type { Retention } from '../queue/jobOptions.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../queue/jobs.js'
import type { RequestLane } from '../queue/names.js'
import { openDeliveryQueue, queueNameOf, requestQueueOf, startQueueWorker } from '../queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../queue/retryPolicy.js'
import type { SandboxPool } from '../sandbox/createSandboxPool.js'
import type { SandboxLimits } from '../sandbox/limits.js'
import { createRedisGelatoStorageStore } from '../store/createRedisGelatoStorageStore.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { CallerBusyError } from './CallerBusyError.js'
import { type CallerQuotaSettings, createCallerQuotas } from './createCallerQuotas.js'
import { createRequestProcessor } from './createRequestProcessor.js'
import type { WorkerChains } from './WorkerChains.js'
import type { WorkerMetrics } from './WorkerMetrics.js'
import { WorkerRefusalError } from './WorkerRetryError.js'

export type StartWorkerParameters = {
  /** BullMQ connection (`maxRetriesPerRequest: null`, see `createRedisConnection`). */
  connection: Redis
  pool: SandboxPool
  provider: TeeProvider
  store: FunctionStore
  /** The chains this worker serves, each read through its RPC quorum. */
  chains: WorkerChains
  /** Chain jobs run at once; by default one per sandbox thread. */
  concurrency?: number | undefined
  /**
   * HTTP jobs run at once, in their own lane (queue and BullMQ worker) beside the chain lane's `concurrency`; by
   * default one less than `concurrency` (at least 1). The sandbox pool's `httpThreads` bounds them there too.
   */
  httpConcurrency?: number | undefined
  /** How long a job stays locked to this worker without renewal; a crashed worker's job is retried after it. */
  lockDurationMs?: number | undefined
  allowHosts?: string[] | undefined
  /** The most an HTTP caller may ask for; `defaultHttpMaximumLimits` by default. */
  httpMaximumLimits?: SandboxLimits | undefined
  /**
   * Per-caller quotas for HTTP jobs that name their `caller`: invocations at once (by default half of
   * `httpConcurrency`, at least 1) and CPU time per window (30 s a minute by default). `false`: none.
   */
  callerQuotas?: Partial<CallerQuotaSettings> | false | undefined
  /** How jobs that could not be answered yet are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /** What Redis keeps of finished request jobs, and of each one's result and logs (`defaultRetention`). */
  retention?: Retention | undefined
  logger?: Logger | undefined
  /** Told about every finished request (status, duration, fetches), e.g. `createMetrics()` from `runtime/metrics`. */
  metrics?: WorkerMetrics | undefined
}

export type TeeWorker = {
  /** The chain lane's BullMQ worker. */
  worker: Worker<RequestJobData, RequestJobResult>
  /** The HTTP lane's BullMQ worker. */
  httpWorker: Worker<RequestJobData, RequestJobResult>
  /** Resolves once both lanes' workers are connected. */
  waitUntilReady(): Promise<void>
  /** Whether both lanes' workers run. */
  isRunning(): boolean
  /** Stops taking jobs, lets the running ones finish, and closes the delivery queues. */
  close(): Promise<void>
}

/**
 * Two BullMQ workers, one per request lane (chain requests; HTTP invocations), so chain requests never wait behind
 * HTTP ones: each runs a request in the sandbox pool, signs it with the enclave key and queues the envelope for
 * its chain. A job whose worker dies is retried once its lock expires; its delivery keeps the request's job id,
 * so it is queued (and fulfilled) once.
 */
export function startWorker({
  connection,
  pool,
  provider,
  store,
  chains,
  concurrency = pool.stats().threads,
  httpConcurrency = Math.max(1, concurrency - 1),
  lockDurationMs = 30_000,
  allowHosts,
  httpMaximumLimits,
  callerQuotas,
  retryPolicy = defaultRetryPolicy,
  retention,
  logger,
  metrics,
}: StartWorkerParameters): TeeWorker {
  const deliveryQueues = new Map<string, Queue<DeliveryJobData>>()
  const deliver = async (delivery: DeliveryJobData) => {
    const chain = { family: delivery.envelope.family, chainId: delivery.envelope.chainId }
    const name = queueNameOf(chain)
    let queue = deliveryQueues.get(name)
    if (!queue) {
      queue = openDeliveryQueue(connection, chain)
      deliveryQueues.set(name, queue)
    }
    await queue.add('delivery', delivery, { jobId: requestJobId(delivery.request) })
  }
  const processRequest = createRequestProcessor({
    pool,
    provider,
    store,
    chains,
    deliver,
    allowHosts,
    httpMaximumLimits,
    callerQuotas:
      callerQuotas === false
        ? undefined
        : createCallerQuotas({ concurrency: Math.max(1, Math.ceil(httpConcurrency / 2)), ...callerQuotas }),
    // Gelato functions' storage lives in the node's Redis, sealed per function scope (one per node, never shared).
    gelatoStorage: createRedisGelatoStorageStore({ redis: connection }),
    logger,
  })
  // Any trigger found in either lane runs (HTTP jobs queued before the lanes existed are in the chain lane).
  const process = async (job: Job<RequestJobData, RequestJobResult>) => {
    const startedAt = performance.now()
    try {
      const result = await processRequest(job.data)
      metrics?.recordInvocation(job.data, result, performance.now() - startedAt)
      return result
    } catch (error) {
      if (error instanceof CallerBusyError) {
        // Its caller's other jobs run: this one waits, holding no slot and counting no attempt. Jittered, so
        // a burst of one caller's jobs does not come back all at once.
        const delayMs = error.retryAfterMs + Math.floor(Math.random() * error.retryAfterMs)
        await job.moveToDelayed(Date.now() + delayMs, job.token)
        throw new DelayedError()
      }
      // The chain says no, or the job is for a chain this worker does not serve: fail now, sign nothing.
      if ((error instanceof ChainReadError && !error.retryable) || error instanceof WorkerRefusalError) {
        throw new UnrecoverableError(error.message)
      }
      throw error
    }
  }
  const startLane = (lane: RequestLane) =>
    startQueueWorker<'requests' | 'http-requests', RequestJobResult>({
      queue: requestQueueOf(lane),
      connection,
      // Each lane its own slots: HTTP jobs that sleep fill only theirs.
      concurrency: lane === 'http' ? httpConcurrency : concurrency,
      lockDurationMs,
      retryPolicy,
      retention,
      process,
    })
  const worker = startLane('chain')
  const httpWorker = startLane('http')
  return {
    worker,
    httpWorker,
    async waitUntilReady() {
      await Promise.all([worker.waitUntilReady(), httpWorker.waitUntilReady()])
    },
    isRunning: () => worker.isRunning() && httpWorker.isRunning(),
    async close() {
      await Promise.all([worker.close(), httpWorker.close()])
      await Promise.all([...deliveryQueues.values()].map((queue) => queue.close()))
    },
  }
}
