import { type Job, Queue, QueueEvents, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { boundJobResult } from './boundJobResult.js'
import {
  defaultJobOptions,
  defaultRetention,
  keepJobsOf,
  type Retention,
  requestJobOptions,
} from './jobOptions.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from './jobs.js'
import { type ChainRef, deliveryQueueName, queuePrefix, requestQueueName } from './names.js'
import { defaultRetryPolicy, type RetryPolicy, retryBackoff } from './retryPolicy.js'

/** Which queue: the request queue, or one chain's delivery queue. */
export type QueueRef = 'requests' | ChainRef

/** The queue's BullMQ name. */
export function queueNameOf(ref: QueueRef): string {
  return ref === 'requests' ? requestQueueName : deliveryQueueName(ref)
}

/** The Redis key of BullMQ's event stream for a queue (read by waiters that must not miss an event). */
export function queueEventsKey(ref: QueueRef): string {
  return `${queuePrefix}:${queueNameOf(ref)}:events`
}

export type OpenRequestQueueOptions = {
  /**
   * The node's retention: the queue then writes its event-stream bound (`eventsMaxLen`) into the queue's metadata,
   * which every producer and worker trims by. Without it the queue leaves the metadata as it is (BullMQ would
   * otherwise reset the bound to its 10,000 for every queue opened), so the configured bound stays.
   */
  retention?: Retention | undefined
}

/** The request queue, with teefn's prefix and job options; watchers, the API and re-runs add to it. */
export function openRequestQueue(
  connection: Redis,
  { retention }: OpenRequestQueueOptions = {},
): Queue<RequestJobData, RequestJobResult> {
  return new Queue<RequestJobData, RequestJobResult>(requestQueueName, {
    connection,
    prefix: queuePrefix,
    defaultJobOptions: requestJobOptions,
    ...(retention ? { streams: { events: { maxLen: retention.eventsMaxLen } } } : { skipMetasUpdate: true }),
  })
}

/**
 * Writes the node's event-stream bound into the request queue's metadata, for a process that opens no queue with
 * its retention (a worker or relayer alone): every producer and worker trims the stream by it.
 */
export async function applyRetention(connection: Redis, retention: Retention): Promise<void> {
  const queue = openRequestQueue(connection, { retention })
  try {
    await queue.getVersion() // resolves once the metadata is written
  } finally {
    await queue.close()
  }
}

/** A chain's delivery queue: the worker adds signed envelopes, the chain's submitter drains it. */
export function openDeliveryQueue<R = unknown>(
  connection: Redis,
  chain: ChainRef,
): Queue<DeliveryJobData, R> {
  return new Queue<DeliveryJobData, R>(deliveryQueueName(chain), {
    connection,
    prefix: queuePrefix,
    defaultJobOptions,
  })
}

type DataOf<Ref extends QueueRef> = Ref extends 'requests' ? RequestJobData : DeliveryJobData

export type StartQueueWorkerParameters<Ref extends QueueRef, R> = {
  queue: Ref
  /** BullMQ needs `maxRetriesPerRequest: null` (`createRedisConnection`). */
  connection: Redis
  process: (job: Job<DataOf<Ref>, R>) => Promise<R>
  concurrency: number
  /** How long a job stays locked without renewal; a crashed process's job is retried after it. 30 s by default. */
  lockDurationMs?: number | undefined
  /** How jobs that could not be done yet are retried, and for how long; an hour by default. */
  retryPolicy?: RetryPolicy | undefined
  /**
   * What Redis keeps of finished request jobs (`defaultRetention` by default): how many and how long (jobs that
   * name no `removeOnComplete` / `removeOnFail` of their own, as request jobs do), and each job's result and logs.
   */
  retention?: Retention | undefined
}

/**
 * A BullMQ worker on a teefn queue: the prefix, the retry backoff that `defaultJobOptions` names, and stalled-job
 * recovery tied to the lock (a job whose process died is taken over once its lock expires, the first few times
 * retried rather than failed).
 */
export function startQueueWorker<Ref extends QueueRef, R>({
  queue,
  connection,
  process,
  concurrency,
  lockDurationMs = 30_000,
  retryPolicy = defaultRetryPolicy,
  retention = defaultRetention,
}: StartQueueWorkerParameters<Ref, R>): Worker<DataOf<Ref>, R> {
  // What a request job returns is stored twice (job and event): bounded here, whoever wrote the processor.
  const processor =
    queue === 'requests'
      ? async (job: Job<DataOf<Ref>, R>) =>
          boundJobResult((await process(job)) as RequestJobResult, retention) as R
      : process
  return new Worker<DataOf<Ref>, R>(queueNameOf(queue), processor, {
    connection,
    prefix: queuePrefix,
    concurrency,
    lockDuration: lockDurationMs,
    stalledInterval: Math.max(1_000, Math.floor(lockDurationMs / 2)),
    maxStalledCount: 3,
    settings: { backoffStrategy: retryBackoff(retryPolicy) },
    removeOnComplete: keepJobsOf(retention.completed),
    removeOnFail: keepJobsOf(retention.failed),
  })
}

/**
 * A queue's event stream read from its current end (`from: 'now'`), so no event of a job added from now on is
 * missed however soon it comes, or from its start. `connection` is taken over (QueueEvents blocks on it).
 */
export async function openQueueEvents(
  connection: Redis,
  ref: QueueRef,
  { from = 'now' }: { from?: 'now' | 'start' | undefined } = {},
): Promise<QueueEvents> {
  let lastEventId = '0-0'
  if (from === 'now') {
    const [latest] = await connection.xrevrange(queueEventsKey(ref), '+', '-', 'COUNT', 1)
    lastEventId = latest?.[0] ?? '0-0'
  }
  return new QueueEvents(queueNameOf(ref), { connection, prefix: queuePrefix, lastEventId })
}
