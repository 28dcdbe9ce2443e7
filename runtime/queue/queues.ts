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
import {
  type ChainRef,
  deliveryQueueName,
  httpRequestQueueName,
  queuePrefix,
  type RequestLane,
  requestQueueName,
} from './names.js'
import { defaultRetryPolicy, type RetryPolicy, retryBackoff } from './retryPolicy.js'

/** A request queue: the chain lane's (`requests`) or the HTTP lane's (`http-requests`). */
export type RequestQueueRef = 'requests' | 'http-requests'

/** Which queue: a request queue, or one chain's delivery queue. */
export type QueueRef = RequestQueueRef | ChainRef

/** The request queue of a lane. */
export function requestQueueOf(lane: RequestLane): RequestQueueRef {
  return lane === 'http' ? 'http-requests' : 'requests'
}

/** The queue's BullMQ name. */
export function queueNameOf(ref: QueueRef): string {
  if (ref === 'requests') return requestQueueName
  if (ref === 'http-requests') return httpRequestQueueName
  return deliveryQueueName(ref)
}

/**
 * A Redis key of a queue (`events`, `meta`, `completed`, a job id): BullMQ's layout, named here once so that no
 * caller spells the prefix or a queue's name.
 */
export function queueKey(ref: QueueRef, key: string): string {
  return `${queuePrefix}:${queueNameOf(ref)}:${key}`
}

/** The Redis key of BullMQ's event stream for a queue (read by waiters that must not miss an event). */
export function queueEventsKey(ref: QueueRef): string {
  return queueKey(ref, 'events')
}

export type OpenRequestQueueOptions = {
  /** Which lane's queue: `chain` (every chain's requests, the default) or `http` (HTTP invocations). */
  lane?: RequestLane | undefined
  /**
   * The node's retention: the queue then writes its event-stream bound (`eventsMaxLen`) into the queue's metadata,
   * which every producer and worker trims by. Without it the queue leaves the metadata as it is (BullMQ would
   * otherwise reset the bound to its 10,000 for every queue opened), so the configured bound stays.
   */
  retention?: Retention | undefined
}

/** A lane's request queue, with teefn's prefix and job options; watchers and re-runs add to the chain lane's. */
export function openRequestQueue(
  connection: Redis,
  { lane = 'chain', retention }: OpenRequestQueueOptions = {},
): Queue<RequestJobData, RequestJobResult> {
  return new Queue<RequestJobData, RequestJobResult>(queueNameOf(requestQueueOf(lane)), {
    connection,
    prefix: queuePrefix,
    defaultJobOptions: requestJobOptions,
    ...(retention ? { streams: { events: { maxLen: retention.eventsMaxLen } } } : { skipMetasUpdate: true }),
  })
}

/**
 * Writes the node's event-stream bound into both request queues' metadata, for a process that opens no queue with
 * its retention (a worker or relayer alone): every producer and worker trims the stream by it.
 */
export async function applyRetention(connection: Redis, retention: Retention): Promise<void> {
  const queues = (['chain', 'http'] as const).map((lane) => openRequestQueue(connection, { lane, retention }))
  try {
    await Promise.all(queues.map((queue) => queue.getVersion())) // resolves once the metadata is written
  } finally {
    await Promise.all(queues.map((queue) => queue.close()))
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

type DataOf<Ref extends QueueRef> = Ref extends RequestQueueRef ? RequestJobData : DeliveryJobData

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
    queue === 'requests' || queue === 'http-requests'
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
