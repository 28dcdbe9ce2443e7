import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { Redis } from 'ioredis'
import type { WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import type { Logger } from '../runtime/logging/createLogger.js'
import type { TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import type { Retention } from '../runtime/queue/jobOptions.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import type { SandboxLimits } from '../runtime/sandbox/limits.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import type { BundleAnalyzer } from './createBundleAnalyzer.js'
import type { ServerChains, WorkerCheck } from './ServerContext.js'
import type { UploadAuthorizationPolicy } from './uploadAuthorization.js'

// What `buildServer` takes, and the server it builds: the API's configuration surface, read on its own.

export type TeefnServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export type RateLimitSettings = {
  /** Requests per caller per window: per IP, or per API key when a valid one is sent. Default 600. */
  max?: number | undefined
  /** Default 60,000 ms. */
  timeWindowMs?: number | undefined
  /** Requests per window for callers with a valid API key. Default `max` × 10. */
  apiKeyMax?: number | undefined
}

/** How long the server waits for a caller; every value in ms. */
export type ServerTimeouts = {
  /** The request line and headers, from the first byte (Node `headersTimeout`). Default 10,000. */
  headersMs?: number | undefined
  /** The whole request, body included (Node `requestTimeout`); at least `headersMs`. Default 30,000. */
  requestMs?: number | undefined
  /**
   * A socket with no traffic at all (fastify `connectionTimeout`), also while its request waits for an invocation:
   * above the longest invoke wait. Default that wait + 15,000.
   */
  idleMs?: number | undefined
  /** A kept-alive socket between requests (`keepAliveTimeout`). Default 5,000. */
  keepAliveMs?: number | undefined
}

export type BuildServerParameters = {
  /**
   * Redis for the request queue (producer side), `/healthz` and the job waiter (which uses its own duplicate
   * of it). Not closed by the server. A connection with a small `maxRetriesPerRequest` makes requests fail
   * with 503 while Redis is down instead of waiting for it.
   */
  connection: Redis
  /** Where bundles live (`createRedisFunctionStore`). */
  store: FunctionStore
  /** The worker's attestation (`attestWorker`): public keys and quote. The server never sees the provider. */
  attestation: WorkerAttestation
  /** Shared with the worker so `/metrics` shows both; a fresh set by default. */
  metrics?: TeefnMetrics | undefined
  /** pino logger; `createLogger({ name: 'server' })` by default. */
  logger?: Logger | undefined
  /** Log one line per request (fastify's request logging). Default true. */
  requestLogging?: boolean | undefined
  /** Operator API keys (`x-api-key`): upload without a signature, and a higher rate limit. */
  apiKeys?: readonly string[] | undefined
  /**
   * When set, `GET /metrics` answers only `authorization: Bearer <token>` (Prometheus `authorization` in the
   * scrape config); without it, metrics are open to whoever reaches the port.
   */
  metricsToken?: string | undefined
  /** A sandbox pool to load uploads in, so a default export that is not a function is refused at upload. */
  probe?: SandboxPool | undefined
  /**
   * The worker's chain readers (`{ evm: evmReaders }`): HTTP calls may name a functionId of these chains' registries
   * (checked against the codeHash), and owners of their functions may write secrets and settings. Without them
   * the API refuses both with `CHAIN_NOT_SERVED`.
   */
  chains?: ServerChains | undefined
  /** The local worker's health, when it runs in this process (else `/healthz` looks for any worker on the queue). */
  workerCheck?: (() => WorkerCheck | Promise<WorkerCheck>) | undefined
  invoke?: { defaultWaitMs?: number | undefined; maxWaitMs?: number | undefined } | undefined
  /** The most an HTTP caller may ask for per call (`defaultHttpMaximumLimits`, as the worker's by default). */
  maximumLimits?: SandboxLimits | undefined
  /** Signature window, allowed owners, and uploads per caller per window (default 60). */
  upload?: (UploadAuthorizationPolicy & { rateLimitMax?: number | undefined }) | undefined
  rateLimit?: false | RateLimitSettings | undefined
  /** How long a Redis operation may take in a request before it answers 503. Default 5,000 ms. */
  redisTimeoutMs?: number | undefined
  /** CORS is off unless origins are listed. */
  cors?: false | { origins: string[] } | undefined
  /**
   * Fastify's `trustProxy` (behind a reverse proxy, so rate limits see the caller's IP): true, a hop count, or the
   * proxies' addresses. Default false.
   */
  trustProxy?: boolean | number | string | string[] | undefined
  /**
   * The URL callers reach this node at: owner signatures (uploads, job reads) must name its origin, so one made
   * for another node is refused. `startServer` defaults it to the address it listens on. Without it no
   * signature is accepted (API keys still are).
   */
  publicUrl?: string | (() => string | undefined) | undefined
  /** What Redis keeps of request jobs (`defaultRetention`); the same as the worker's. */
  retention?: Retention | undefined
  timeouts?: ServerTimeouts | undefined
  /** Sockets open at once; more are closed as they arrive. Unlimited by default. */
  maxConnections?: number | undefined
  /** esbuild for upload checks; the process's shared one by default. */
  analyzer?: BundleAnalyzer | undefined
}
