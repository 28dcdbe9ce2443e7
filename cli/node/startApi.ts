import type { Redis } from 'ioredis'
import type { WorkerAttestation } from '../../runtime/enclave/attestWorker.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { createMetrics } from '../../runtime/metrics/index.js'
import type { Retention } from '../../runtime/queue/jobOptions.js'
import type { SandboxLimits, SandboxPool } from '../../runtime/sandbox/index.js'
import type { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import type { TeeWorker } from '../../runtime/worker/startWorker.js'
import { startServer } from '../../server/index.js'
import type { ServerSubstrateChain } from '../../server/ServerContext.js'
import type { evmChainReaderOf } from './chainReadersOf.js'
import { resolveSecret } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'
import type { Closers } from './startNode.js'

/** What the node has started that the API uses. */
export type ApiParts = {
  connection: Redis
  store: ReturnType<typeof createRedisFunctionStore>
  metrics: ReturnType<typeof createMetrics>
  attestation: WorkerAttestation
  pool: SandboxPool | undefined
  evmReaders: ReturnType<typeof evmChainReaderOf>[]
  /** The Substrate chains whose quorum envelopes the API keeps (`POST /v1/envelopes`). */
  substrateChains: ServerSubstrateChain[]
  worker: TeeWorker | undefined
  retention: Retention
  /** What HTTP callers may ask for: the API refuses more before queueing, as the worker would. */
  httpMaximumLimits: SandboxLimits
  env: NodeJS.ProcessEnv
  logger: Logger
  closers: Closers
}

/** The `api` role: the HTTP API on `server.host`/`server.port`, over the node's Redis, store and readers. */
export async function startApi(config: NodeConfig, parts: ApiParts): Promise<string> {
  const { env } = parts
  const apiKeys = config.server?.apiKeys
    ? resolveSecret(config.server.apiKeys, env)
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean)
    : undefined
  const server = await startServer({
    host: config.server?.host,
    port: config.server?.port,
    connection: parts.connection,
    store: parts.store,
    metrics: parts.metrics,
    attestation: parts.attestation,
    probe: parts.pool,
    apiKeys,
    metricsToken: config.server?.metricsToken ? resolveSecret(config.server.metricsToken, env) : undefined,
    rateLimit: config.server?.rateLimit,
    maximumLimits: parts.httpMaximumLimits,
    requestLogging: config.server?.requestLogging,
    publicUrl: config.server?.publicUrl,
    upload: config.server?.upload,
    trustProxy: config.server?.trustProxy,
    cors: config.server?.cors,
    timeouts: config.server?.timeouts,
    maxConnections: config.server?.maxConnections,
    retention: parts.retention,
    // The worker's own quorum readers: the API checks codes and owners as the worker will.
    chains: { evm: parts.evmReaders, substrate: parts.substrateChains },
    workerCheck: parts.worker ? () => ({ ok: parts.worker!.isRunning() }) : undefined,
    logger: parts.logger.child({ component: 'server' }),
  })
  parts.closers.push(() => server.close())
  parts.logger.info({ url: server.url }, 'HTTP API listening')
  return server.url
}
