import type { RequestJobData, RequestJobResult } from '../queue/jobs.js'

/**
 * What a worker reports after each request it finished (signed, whatever the status): the request, what it
 * returned and how long the job took in the worker, from pickup to signed envelope. `runtime/metrics`
 * implements it with Prometheus counters; the worker only calls it.
 */
export interface WorkerMetrics {
  recordInvocation(request: RequestJobData, result: RequestJobResult, elapsedMs: number): void
}
