import { availableParallelism } from 'node:os'
import type { NodeConfig } from './nodeConfigSchema.js'

/** The worker's capacity as a node runs it: sandbox threads and job slots, and the HTTP lane's share of each. */
export type WorkerLanes = {
  threads: number
  /** The most sandbox threads HTTP invocations hold at once. */
  httpThreads: number
  /** Chain jobs run at once. */
  concurrency: number
  /** HTTP jobs run at once. */
  httpConcurrency: number
}

export type WorkerLanesOfParameters = {
  /** The machine's cores, the default thread count; `availableParallelism()` by default. */
  cores?: number | undefined
}

/** Whether the node serves any chain (EVM or Substrate), whose requests then need capacity kept for them. */
export function servesChains(config: NodeConfig): boolean {
  return (config.evm?.length ?? 0) + (config.substrate?.length ?? 0) > 0
}

/**
 * The worker's lanes from the node's config: one thread per core and one chain job per thread unless configured;
 * HTTP gets one less of each (at least 1), so a chain request always finds a slot and a thread however long HTTP
 * invocations sleep. A node that serves no chain keeps nothing back: HTTP gets it all.
 */
export function workerLanesOf(
  config: NodeConfig,
  { cores = availableParallelism() }: WorkerLanesOfParameters = {},
): WorkerLanes {
  const worker = config.worker ?? {}
  const threads = worker.threads ?? cores
  const concurrency = worker.concurrency ?? threads
  const share = (total: number) => (servesChains(config) ? Math.max(1, total - 1) : total)
  return {
    threads,
    httpThreads: worker.httpThreads ?? share(threads),
    concurrency,
    httpConcurrency: worker.httpConcurrency ?? share(concurrency),
  }
}
