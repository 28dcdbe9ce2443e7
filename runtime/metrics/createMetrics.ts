import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { RequestJobData, RequestJobResult } from '../queue/jobs.js'
import type { WorkerMetrics } from '../worker/WorkerMetrics.js'

/** A queue whose job counts are read on every scrape (a BullMQ `Queue` is one). */
export type ObservedQueue = {
  readonly name: string
  getJobCounts(...states: string[]): Promise<Record<string, number>>
}

export type CreateMetricsParameters = {
  /** Where the metrics live; a fresh registry by default (never prom-client's global one). */
  registry?: Registry | undefined
  /** Also collect Node's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean | undefined
}

/** Job states reported as queue depth: waiting work, running work, and what piled up. */
export const observedJobStates = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const

/**
 * The Prometheus metrics a teefn process exposes, shared by the worker (invocations, durations, fetches)
 * and the HTTP API (requests, queue depths). Names are stable: dashboards and alerts use them.
 */
export type TeefnMetrics = WorkerMetrics & {
  registry: Registry
  /** `teefn_invocations_total{trigger,status}`: finished requests, by how they ended. */
  invocations: Counter<'trigger' | 'status'>
  /** `teefn_invocation_duration_seconds{trigger}`: a job in the worker, from pickup to signed envelope. */
  invocationDuration: Histogram<'trigger'>
  /** `teefn_function_fetches_total{trigger}`: fetches functions made. */
  fetches: Counter<'trigger'>
  /** `teefn_request_latency_seconds{trigger}`: from when the request was seen to its signed envelope. */
  requestLatency: Histogram<'trigger'>
  /** `teefn_http_requests_total{method,route,status_code}`. */
  httpRequests: Counter<'method' | 'route' | 'status_code'>
  /** `teefn_http_request_duration_seconds{method,route}`. */
  httpDuration: Histogram<'method' | 'route'>
  /** `teefn_deliveries_total{chain,outcome}`: delivery attempts by how they ended (`fulfilled`, `already_fulfilled`, `rerun`, `retried`, `refused`). */
  deliveries: Counter<'chain' | 'outcome'>
  /** `teefn_delivery_latency_seconds{chain}`: from the signed envelope to its transaction mined (or extrinsic included). */
  deliveryLatency: Histogram<'chain'>
  /** Reports this queue's depth as `teefn_queue_jobs{queue,state}`, read when scraped. */
  observeQueue(queue: ObservedQueue): void
}

/** Creates the metrics on their own registry (two in one process, as in tests, do not collide). */
export function createMetrics({
  registry = new Registry(),
  processMetrics = true,
}: CreateMetricsParameters = {}): TeefnMetrics {
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'teefn_' })
  const invocations = new Counter({
    name: 'teefn_invocations_total',
    help: 'Requests the worker finished and signed, by trigger and result status.',
    labelNames: ['trigger', 'status'] as const,
    registers: [registry],
  })
  const invocationDuration = new Histogram({
    name: 'teefn_invocation_duration_seconds',
    help: 'Time a request job spent in the worker: load, run in the sandbox, sign.',
    labelNames: ['trigger'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const fetches = new Counter({
    name: 'teefn_function_fetches_total',
    help: 'HTTP fetches made by functions.',
    labelNames: ['trigger'] as const,
    registers: [registry],
  })
  const requestLatency = new Histogram({
    name: 'teefn_request_latency_seconds',
    help: 'Time from when a request was seen (HTTP call, chain event) to its signed envelope.',
    labelNames: ['trigger'] as const,
    buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  const httpRequests = new Counter({
    name: 'teefn_http_requests_total',
    help: 'HTTP API requests answered, by route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  })
  const httpDuration = new Histogram({
    name: 'teefn_http_request_duration_seconds',
    help: 'HTTP API response time, by route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })

  const deliveries = new Counter({
    name: 'teefn_deliveries_total',
    help: 'Delivery attempts of signed envelopes, by chain and how they ended.',
    labelNames: ['chain', 'outcome'] as const,
    registers: [registry],
  })
  const deliveryLatency = new Histogram({
    name: 'teefn_delivery_latency_seconds',
    help: 'Time from a signed envelope to its delivery on-chain (transaction mined, extrinsic included).',
    labelNames: ['chain'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900],
    registers: [registry],
  })

  const queues = new Map<string, ObservedQueue>()
  new Gauge({
    name: 'teefn_queue_jobs',
    help: 'Jobs in a queue, by state (read from Redis when scraped).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      await Promise.all(
        [...queues.values()].map(async (queue) => {
          const counts = await queue.getJobCounts(...observedJobStates)
          for (const state of observedJobStates) this.set({ queue: queue.name, state }, counts[state] ?? 0)
        }),
      )
    },
  })

  return {
    registry,
    invocations,
    invocationDuration,
    fetches,
    requestLatency,
    httpRequests,
    httpDuration,
    deliveries,
    deliveryLatency,
    observeQueue(queue) {
      queues.set(queue.name, queue)
    },
    recordInvocation(request: RequestJobData, result: RequestJobResult, elapsedMs: number) {
      const trigger = request.trigger
      invocations.inc({ trigger, status: result.status })
      invocationDuration.observe({ trigger }, elapsedMs / 1000)
      if (result.stats.fetches > 0) fetches.inc({ trigger }, result.stats.fetches)
      requestLatency.observe({ trigger }, Math.max(0, Date.now() - request.seenAt) / 1000)
    },
  }
}
