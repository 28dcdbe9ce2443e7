import { type Job, UnrecoverableError, type Worker } from 'bullmq'
import type { TeefnMetrics } from '../../runtime/metrics/createMetrics.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'

/** How one delivery attempt ended, as `teefn_deliveries_total` counts it. */
export type DeliveryOutcome = 'fulfilled' | 'already_fulfilled' | 'rerun' | 'retried' | 'refused'

export type ObserveDeliveriesParameters<R> = {
  /** A submitter's queue worker (EVM or Substrate). */
  worker: Worker<DeliveryJobData, R>
  /** The chain's label: the EVM chain id or the Substrate genesis hash. */
  chain: string
  metrics: Pick<TeefnMetrics, 'deliveries' | 'deliveryLatency'>
}

/**
 * Counts a submitter's deliveries by outcome and times them from the signed envelope to the chain, from its
 * queue worker's events: the submitters stay free of metrics, and both chain families are counted alike.
 * Returns a function that stops observing.
 */
export function observeDeliveries<R>({ worker, chain, metrics }: ObserveDeliveriesParameters<R>): () => void {
  const onCompleted = (job: Job<DeliveryJobData, R>, result: R) => {
    const outcome = outcomeOf(result)
    metrics.deliveries.inc({ chain, outcome })
    if (outcome === 'fulfilled') {
      metrics.deliveryLatency.observe({ chain }, Math.max(0, Date.now() - job.data.signedAt) / 1000)
    }
  }
  const onFailed = (job: Job<DeliveryJobData, R> | undefined, error: Error) => {
    const final =
      error instanceof UnrecoverableError ||
      error.name === 'UnrecoverableError' ||
      (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1))
    metrics.deliveries.inc({ chain, outcome: final ? 'refused' : 'retried' })
  }
  worker.on('completed', onCompleted)
  worker.on('failed', onFailed)
  return () => {
    worker.off('completed', onCompleted)
    worker.off('failed', onFailed)
  }
}

/** The EVM submitter answers `{ outcome }`; the Substrate one a receipt with `alreadyDelivered`. */
function outcomeOf(result: unknown): DeliveryOutcome {
  const value = result as { outcome?: string; alreadyDelivered?: boolean } | undefined
  if (value?.outcome === 'rerun') return 'rerun'
  if (value?.outcome === 'alreadyFulfilled' || value?.alreadyDelivered === true) return 'already_fulfilled'
  return 'fulfilled'
}
