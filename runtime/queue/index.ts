/** The queues between watchers, the API, workers and submitters: names, job types, options and construction. */

export { type BoundJobResultParameters, boundJobResult } from './boundJobResult.js'
export type { CreateRedisConnectionParameters } from './createRedisConnection.js'
export { createRedisConnection } from './createRedisConnection.js'
export { requestJobId } from './jobIds.js'
export {
  defaultJobOptions,
  defaultRetention,
  type KeptJobs,
  keepJobsOf,
  type Retention,
  type RetentionSettings,
  requestJobOptions,
  resolveRetention,
} from './jobOptions.js'
export type {
  DeliveryJobData,
  JobLogEntry,
  RequestJobData,
  RequestJobResult,
  RequestLimits,
  RequestOrigin,
} from './jobs.js'
export {
  type ChainFamily,
  type ChainRef,
  deliveryQueueName,
  httpRequestQueueName,
  queuePrefix,
  type RequestLane,
  requestQueueName,
} from './names.js'
export {
  applyRetention,
  type OpenRequestQueueOptions,
  openDeliveryQueue,
  openQueueEvents,
  openRequestQueue,
  type QueueRef,
  queueEventsKey,
  queueKey,
  queueNameOf,
  type RequestQueueRef,
  requestQueueOf,
  type StartQueueWorkerParameters,
  startQueueWorker,
} from './queues.js'
export {
  closeRequestQueues,
  getRequestJob,
  openRequestQueues,
  type RequestQueues,
  requestLaneOf,
} from './requestLanes.js'
export { defaultRetryPolicy, type RetryPolicy, retryBackoff, retryBackoffType } from './retryPolicy.js'
