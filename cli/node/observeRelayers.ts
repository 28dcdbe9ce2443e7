import type { Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { EvmRelayer } from '../../relayer/evm/startEvmRelayer.js'
import { observeDeliveries } from '../../relayer/shared/observeDeliveries.js'
import type { SubstrateRelayer } from '../../relayer/substrate/startSubstrateRelayer.js'
import type { TeefnMetrics } from '../../runtime/metrics/createMetrics.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { openDeliveryQueue } from '../../runtime/queue/queues.js'
import type { Closers } from './startNode.js'

export type ObserveRelayersParameters = {
  connection: Redis
  metrics: TeefnMetrics
  evm: readonly EvmRelayer[]
  substrate: readonly SubstrateRelayer[]
  closers: Closers
}

/**
 * The relayers' part of `/metrics`: each submitter's deliveries (`teefn_deliveries_total`,
 * `teefn_delivery_latency_seconds`) and each chain's delivery queue depth (`teefn_queue_jobs`).
 */
export function observeRelayers({
  connection,
  metrics,
  evm,
  substrate,
  closers,
}: ObserveRelayersParameters): void {
  const chains = [
    ...evm.map((relayer) => ({
      family: 'evm' as const,
      chainId: relayer.chainId,
      submitter: relayer.submitter,
    })),
    ...substrate.map((relayer) => ({
      family: 'substrate' as const,
      chainId: relayer.chainId as string,
      submitter: relayer.submitter,
    })),
  ]
  for (const { family, chainId, submitter } of chains) {
    if (!submitter) continue
    closers.push(
      observeDeliveries({
        worker: submitter.worker as Worker<DeliveryJobData, unknown>,
        chain: chainId,
        metrics,
      }),
    )
    const queue = openDeliveryQueue(connection, { family, chainId })
    metrics.observeQueue(queue)
    closers.push(() => queue.close())
  }
}
