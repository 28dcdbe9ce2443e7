import type { Redis } from 'ioredis'
import type { EvmRelayer } from '../../relayer/evm/startEvmRelayer.js'
import type { SubstrateRelayer } from '../../relayer/substrate/startSubstrateRelayer.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { TeefnMetrics } from '../../runtime/metrics/createMetrics.js'
import type { TeeWorker } from '../../runtime/worker/startWorker.js'
import { type OpsCheck, startOpsServer } from '../../server/startOpsServer.js'
import { resolveSecret } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'
import type { Closers } from './startNode.js'

export type StartOpsListenerParameters = {
  connection: Redis
  metrics: TeefnMetrics
  worker: TeeWorker | undefined
  evm: readonly EvmRelayer[]
  substrate: readonly SubstrateRelayer[]
  env: NodeJS.ProcessEnv
  logger: Logger
  closers: Closers
}

/**
 * `/healthz` and `/metrics` of a process without the `api` role, on `ops.host`/`ops.port`: Redis, the
 * worker when it runs here, and each relayer's watcher. Returns the listener's URL.
 */
export async function startOpsListener(
  config: NodeConfig,
  { connection, metrics, worker, evm, substrate, env, logger, closers }: StartOpsListenerParameters,
): Promise<string> {
  const checks: Record<string, OpsCheck> = {
    redis: async () => ({ ok: (await connection.ping()) === 'PONG' }),
  }
  if (worker) {
    checks.worker = () =>
      worker.isRunning() ? { ok: true } : { ok: false, detail: 'the worker is not taking jobs' }
  }
  for (const relayer of evm) {
    const { watcher } = relayer
    if (!watcher) continue
    checks[`evm-${relayer.chainId}`] = () => {
      const { scans, scanErrors, ignoredUnregistered, ignoredDenied } = watcher.stats()
      return { ok: true, counts: { scans, scanErrors, ignoredUnregistered, ignoredDenied } }
    }
  }
  for (const relayer of substrate) {
    const { watcher } = relayer
    if (!watcher) continue
    checks[`substrate-${relayer.chainId.slice(0, 10)}`] = () => {
      const { blocks, requests } = watcher.counters()
      return { ok: true, counts: { blocks, requests } }
    }
  }
  const server = await startOpsServer({
    host: config.ops?.host,
    port: config.ops?.port,
    metrics,
    metricsToken: config.server?.metricsToken ? resolveSecret(config.server.metricsToken, env) : undefined,
    checks,
    logger: logger.child({ component: 'ops' }),
  })
  closers.push(() => server.close())
  logger.info({ url: server.url }, 'health and metrics listening')
  return server.url
}
