import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import type { Logger } from '../runtime/logging/createLogger.js'
import type { TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import { createApiKeyMatcher } from './apiKeys.js'
import { handleError, handleNotFound } from './errorHandler.js'
import { metricsPlugin } from './plugins/metrics.js'
import { type HealthCheckResult, runHealthCheck } from './runHealthCheck.js'

/** One part's health: the worker's, a relayer's, Redis'. */
export type OpsCheck = () => HealthCheckResult | Promise<HealthCheckResult>

export type StartOpsServerParameters = {
  host?: string | undefined
  port?: number | undefined
  metrics: TeefnMetrics
  /** With a token, `/metrics` answers only a scraper that sends it (`authorization: Bearer <token>`). */
  metricsToken?: string | undefined
  /** What `/healthz` checks, by name; each gives up after 2 s (`runHealthCheck`). */
  checks: Readonly<Record<string, OpsCheck>>
  logger?: Logger | undefined
}

export type OpsServer = { url: string; close(): Promise<void> }

/**
 * `/healthz` and `/metrics` for a process without the HTTP API (a worker or a relayer of a split node), so an
 * orchestrator can probe and scrape every role alike. `/healthz` answers 200 when every check passes, else 503
 * with `{ error: { code: 'UNHEALTHY', message } }` naming what failed; details name no host.
 */
export async function startOpsServer({
  host = '127.0.0.1',
  port = 0,
  metrics,
  metricsToken,
  checks,
  logger,
}: StartOpsServerParameters): Promise<OpsServer> {
  // Probes and scrapes come every few seconds: not logged.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  await app.register(metricsPlugin, {
    context: { metrics, matchMetricsToken: metricsToken ? createApiKeyMatcher([metricsToken]) : undefined },
  })
  app.get('/healthz', async (_request, reply) => {
    const names = Object.keys(checks)
    const results = await Promise.all(names.map((name) => runHealthCheck(checks[name]!)))
    const report = Object.fromEntries(names.map((name, index) => [name, results[index]!]))
    const failing = names.filter((_, index) => !results[index]!.ok)
    if (failing.length === 0) return { status: 'ok', checks: report }
    reply.status(503)
    const message = failing.map((name) => `${name}: ${report[name]!.detail ?? 'failing'}`).join('; ')
    return { status: 'unhealthy', checks: report, error: { code: 'UNHEALTHY', message } }
  })
  const address = await app.listen({ host, port })
  return { url: address, close: () => app.close() }
}
