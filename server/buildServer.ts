import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify'
import type { Redis } from 'ioredis'
import type { WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import type { FunctionStore } from '../runtime/functions/FunctionStore.js'
import { createLogger, type Logger } from '../runtime/logging/createLogger.js'
import { createMetrics, type TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import { defaultRetention, type Retention } from '../runtime/queue/jobOptions.js'
import { openQueueEvents, requestQueueOf } from '../runtime/queue/queues.js'
import { closeRequestQueues, openRequestQueues } from '../runtime/queue/requestLanes.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import { defaultHttpMaximumLimits, type SandboxLimits } from '../runtime/sandbox/limits.js'
import { acceptedOrigins } from './acceptedOrigins.js'
import { apiKeyHeader, createApiKeyMatcher } from './apiKeys.js'
import { type BundleAnalyzer, sharedBundleAnalyzer } from './createBundleAnalyzer.js'
import { createJobWaiter } from './createJobWaiter.js'
import { describeApiErrorCodes } from './errorCodes.js'
import { handleClientError, handleError, handleFrameworkError, handleNotFound } from './errorHandler.js'
import { parseJsonBody } from './parseJsonBody.js'
import { attestationPlugin } from './plugins/attestation.js'
import { functionsPlugin } from './plugins/functions.js'
import { healthPlugin } from './plugins/health.js'
import { invokePlugin } from './plugins/invoke.js'
import { jobListPlugin } from './plugins/jobList.js'
import { jobsPlugin } from './plugins/jobs.js'
import { metricsPlugin } from './plugins/metrics.js'
import { openApiPlugin } from './plugins/openapi.js'
import { secretsPlugin } from './plugins/secrets.js'
import { settingsPlugin } from './plugins/settings.js'
import type { ServerChains, ServerContext, WorkerCheck } from './ServerContext.js'
import type { UploadAuthorizationPolicy } from './uploadAuthorization.js'
import { jobTokenHeader, ownerHeader, signatureHeader, timestampHeader } from './uploadMessage.js'

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

/**
 * Builds the HTTP API (not listening yet): upload and read functions, invoke them through the request queue
 * and the workers, follow jobs, attestation, health, metrics and the OpenAPI document at `/openapi.json`.
 * Closing it (`app.close()`) answers waiting invocations with their job ids, then closes its queue handles.
 */
export async function buildServer(parameters: BuildServerParameters): Promise<TeefnServer> {
  const { connection } = parameters
  const logger = parameters.logger ?? createLogger({ name: 'server' })
  const metrics = parameters.metrics ?? createMetrics()
  const invoke = { defaultWaitMs: 30_000, maxWaitMs: 120_000, ...definedOnly(parameters.invoke ?? {}) }
  const timeouts = resolveTimeouts(parameters.timeouts, invoke.maxWaitMs)
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Probes and scrapes would drown the request log.
    logController: new LogController({
      disableRequestLogging: (request) =>
        parameters.requestLogging === false || request.url === '/healthz' || request.url === '/metrics',
    }),
    bodyLimit: 64 * 1024,
    trustProxy: trustProxyOf(parameters.trustProxy),
    routerOptions: { maxParamLength: 800 },
    // Slow callers are cut off: headers, then the whole request, then any socket that stays silent.
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks header and request deadlines every `connectionsCheckingInterval` (30 s by default).
    http: {
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(timeouts.headersMs / 4))),
    },
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    // Bodies are never coerced (a number is not a request string); unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  if (parameters.maxConnections !== undefined) app.server.maxConnections = parameters.maxConnections
  const retention = parameters.retention ?? defaultRetention
  const requests = openRequestQueues(connection, { retention })
  metrics.observeQueue(requests.chain)
  metrics.observeQueue(requests.http)
  // Start reading completion events from the streams' current ends, so no event of a job added from now on
  // is missed, however soon the first invocation comes. Both lanes: a job is answered in whichever it ran.
  const eventsConnections = [0, 1].map(() => connection.duplicate({ maxRetriesPerRequest: null }))
  const events = await Promise.all(
    (['chain', 'http'] as const).map((lane, index) =>
      openQueueEvents(eventsConnections[index]!, requestQueueOf(lane), { from: 'now' }),
    ),
  )
  // One warning per outage, not one per reconnect attempt.
  let eventsDown = false
  for (const eventsConnection of eventsConnections) {
    eventsConnection.on('error', (error) => {
      if (!eventsDown) app.log.warn({ err: error }, 'redis connection for job events lost; reconnecting')
      eventsDown = true
    })
    eventsConnection.on('ready', () => {
      eventsDown = false
    })
  }
  for (const stream of events)
    stream.on('error', (error) => app.log.error({ err: error }, 'queue events error'))
  for (const queue of [requests.chain, requests.http])
    queue.on('error', (error) => app.log.error({ err: error }, 'queue error'))
  await Promise.all(events.map((stream) => stream.waitUntilReady()))
  const waiter = createJobWaiter(events)

  const matchApiKey = createApiKeyMatcher(parameters.apiKeys ?? [])
  const context: ServerContext = {
    connection,
    store: parameters.store,
    requests,
    waiter,
    attestation: parameters.attestation,
    metrics,
    matchApiKey,
    matchMetricsToken: parameters.metricsToken ? createApiKeyMatcher([parameters.metricsToken]) : undefined,
    probe: parameters.probe,
    analyzer: parameters.analyzer ?? sharedBundleAnalyzer(),
    chains: parameters.chains ?? {},
    origins: originsOf(parameters.publicUrl),
    retention,
    invoke: { ...invoke, defaultWaitMs: Math.min(invoke.defaultWaitMs, invoke.maxWaitMs) },
    maximumLimits: parameters.maximumLimits ?? defaultHttpMaximumLimits,
    upload: { rateLimitMax: 60, ...definedOnly(parameters.upload ?? {}) },
    workerCheck: parameters.workerCheck,
    redisTimeoutMs: parameters.redisTimeoutMs ?? 5_000,
  }

  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  // JSON bodies refuse prototype keys by name (and keep the error shape).
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody)
  const stopListening = context.analyzer.onEvent((event, detail) => {
    if (event === 'restarted')
      app.log.warn({ detail }, 'the bundle analyzer (esbuild) died and was restarted')
    else if (event === 'restart-failed')
      app.log.error({ detail }, 'the bundle analyzer (esbuild) cannot start')
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.httpRequests.inc({ method: request.method, route, status_code: reply.statusCode })
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })
  // Waiting callers get their job id instead of holding the shutdown.
  app.addHook('preClose', async () => waiter.releaseAll())
  app.addHook('onClose', async () => {
    stopListening()
    // With Redis down, BullMQ's close waits for a reconnect: give it a moment, then let go.
    await settleWithin(
      Promise.all([...events.map((stream) => stream.close()), closeRequestQueues(requests)]),
      2_000,
    )
    for (const eventsConnection of eventsConnections) eventsConnection.disconnect()
  })

  if (parameters.cors) await app.register(cors, { origin: parameters.cors.origins })
  if (parameters.rateLimit !== false) {
    const max = parameters.rateLimit?.max ?? 600
    const apiKeyMax = parameters.rateLimit?.apiKeyMax ?? max * 10
    await app.register(rateLimit, {
      global: true,
      max: (_request, key) => (key.startsWith('key:') ? apiKeyMax : max),
      timeWindow: parameters.rateLimit?.timeWindowMs ?? 60_000,
      // Only a valid key earns its own bucket: made-up keys would otherwise dodge the per-IP limit.
      keyGenerator: (request) => {
        const presented = request.headers[apiKeyHeader]
        const match = typeof presented === 'string' ? matchApiKey(presented) : undefined
        return match ? `key:${match.id}` : `ip:${request.ip}`
      },
    })
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'teefn HTTP API',
        version: '1',
        description: `Upload functions, invoke them in TEE workers, follow their jobs, store owner-signed secrets and settings, and fetch the attestation that binds the workers\u2019 keys. Every error is \`{ "error": { "code", "message" } }\`; the codes:\n\n${describeApiErrorCodes()}`,
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: apiKeyHeader, description: 'an operator API key' },
          ownerSignature: {
            type: 'apiKey',
            in: 'header',
            name: signatureHeader,
            description:
              'EIP-191 personal_sign signature by the owner of "teefn upload <codeHash lowercase> at <unix seconds> to <node origin>" (or, to read a job, "teefn jobs <job id> at <unix seconds> to <node origin>")',
          },
          ownerAddress: {
            type: 'apiKey',
            in: 'header',
            name: ownerHeader,
            description: "the owner's address",
          },
          signedTimestamp: {
            type: 'apiKey',
            in: 'header',
            name: timestampHeader,
            description: 'the unix seconds that were signed (at most 5 minutes old)',
          },
          jobToken: {
            type: 'apiKey',
            in: 'header',
            name: jobTokenHeader,
            description: 'the job token an invocation answered with: reads that job in full',
          },
        },
      },
    },
  })

  await app.register(functionsPlugin, { context })
  await app.register(invokePlugin, { context })
  await app.register(jobsPlugin, { context })
  await app.register(jobListPlugin, { context })
  await app.register(secretsPlugin, { context })
  await app.register(settingsPlugin, { context })
  await app.register(attestationPlugin, { context })
  await app.register(healthPlugin, { context })
  await app.register(metricsPlugin, { context })
  await app.register(openApiPlugin)
  return app
}

/** A hop count trusts that many proxies in front of the server (fastify takes it as a function). */
function trustProxyOf(
  setting: BuildServerParameters['trustProxy'],
): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return setting ?? false
}

function resolveTimeouts(
  configured: ServerTimeouts | undefined,
  maxWaitMs: number,
): Required<ServerTimeouts> {
  const headersMs = configured?.headersMs ?? 10_000
  return {
    headersMs,
    requestMs: Math.max(configured?.requestMs ?? 30_000, headersMs),
    idleMs: configured?.idleMs ?? maxWaitMs + 15_000,
    keepAliveMs: configured?.keepAliveMs ?? 5_000,
  }
}

/** The accepted origins, computed when asked: `startServer` knows its address only once it listens. */
function originsOf(publicUrl: BuildServerParameters['publicUrl']): () => readonly string[] {
  if (typeof publicUrl !== 'function') {
    const fixed = acceptedOrigins(publicUrl)
    return () => fixed
  }
  return () => acceptedOrigins(publicUrl())
}

async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as never
}
