import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import { withTimeout } from '../runtime/async/withTimeout.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createMetrics } from '../runtime/metrics/createMetrics.js'
import { createQuorumEnvelopeStore } from '../runtime/queue/createQuorumEnvelopeStore.js'
import { defaultRetention } from '../runtime/queue/jobOptions.js'
import { openQueueEvents, requestQueueOf } from '../runtime/queue/queues.js'
import { closeRequestQueues, openRequestQueues } from '../runtime/queue/requestLanes.js'
import { defaultHttpMaximumLimits } from '../runtime/sandbox/limits.js'
import { acceptedOrigins } from './acceptedOrigins.js'
import { apiKeyHeader, createApiKeyMatcher } from './apiKeys.js'
import type { BuildServerParameters, ServerTimeouts, TeefnServer } from './BuildServerParameters.js'
import { sharedBundleAnalyzer } from './createBundleAnalyzer.js'
import { createJobWaiter } from './createJobWaiter.js'
import { describeApiErrorCodes } from './errorCodes.js'
import { handleClientError, handleError, handleFrameworkError, handleNotFound } from './errorHandler.js'
import { parseJsonBody } from './parseJsonBody.js'
import { attestationPlugin } from './plugins/attestation.js'
import { envelopesPlugin } from './plugins/envelopes.js'
import { functionsPlugin } from './plugins/functions.js'
import { healthPlugin } from './plugins/health.js'
import { invokePlugin } from './plugins/invoke.js'
import { jobListPlugin } from './plugins/jobList.js'
import { jobsPlugin } from './plugins/jobs.js'
import { metricsPlugin } from './plugins/metrics.js'
import { openApiPlugin } from './plugins/openapi.js'
import { overviewPlugin } from './plugins/overview.js'
import { secretsPlugin } from './plugins/secrets.js'
import { settingsPlugin } from './plugins/settings.js'
import { uiPlugin } from './plugins/ui.js'
import type { ServerContext } from './ServerContext.js'
import { jobTokenHeader, ownerHeader, signatureHeader, timestampHeader } from './uploadMessage.js'

export type {
  BuildServerParameters,
  RateLimitSettings,
  ServerTimeouts,
  TeefnServer,
} from './BuildServerParameters.js'

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
    quorumEnvelopes: createQuorumEnvelopeStore({ connection }),
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
  await app.register(envelopesPlugin, { context })
  await app.register(attestationPlugin, { context })
  await app.register(healthPlugin, { context })
  await app.register(metricsPlugin, { context })
  await app.register(overviewPlugin, { context })
  await app.register(uiPlugin)
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
  await withTimeout(
    promise.catch(() => {}),
    { timeoutMs: ms, fallback: () => undefined },
  )
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as never
}
