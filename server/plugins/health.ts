import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { redactHosts } from '../redactHosts.js'
import { type HealthCheckResult, healthCheckTimeoutMs, runHealthCheck } from '../runHealthCheck.js'
import type { ServerContext, WorkerCheck } from '../ServerContext.js'

const Check = Type.Object({
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
  latencyMs: Type.Optional(Type.Number()),
  counts: Type.Optional(Type.Record(Type.String(), Type.Integer())),
})

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unhealthy')]),
  checks: Type.Object({ redis: Check, queue: Check, worker: Check, analyzer: Check }),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
})

/**
 * `GET /healthz`: Redis answers PING, both request queues (chain and HTTP lanes) are readable and not paused, a
 * worker is there (the local worker's own check when it runs in this process, else a worker connected to each lane), and the bundle analyzer
 * (esbuild) analyzes a trivial module, restarted first if it died. 200 when all pass, 503 naming what failed. Each
 * check gives up after 2 s (a Redis that is down does not hang it); details name no host.
 */
export const healthPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        summary: 'Health of Redis, the request queue and the worker',
        tags: ['operations'],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const [redis, queue, worker, analyzer] = await Promise.all([
        runHealthCheck(async () => {
          const started = performance.now()
          const answer = await context.connection.ping()
          return { ok: answer === 'PONG', latencyMs: round(performance.now() - started) }
        }),
        runHealthCheck(async () => {
          const [chain, http] = await Promise.all(lanes.map((lane) => laneState(context, lane)))
          // The chain lane's counts as before; the HTTP lane's under `http_`.
          const counts = { ...chain!.counts, ...prefixed('http_', http!.counts) }
          const paused = lanes.filter((_, index) => [chain, http][index]!.paused)
          return paused.length > 0
            ? { ok: false, detail: `the ${paused.join(' and ')} request queue is paused`, counts }
            : { ok: true, counts }
        }),
        runHealthCheck(async (): Promise<HealthCheckResult> => {
          if (context.workerCheck) return toResult(await context.workerCheck())
          const [chain, http] = await Promise.all(
            lanes.map((lane) => context.requests[lane].getWorkersCount()),
          )
          const missing = lanes.filter((_, index) => [chain, http][index] === 0)
          return missing.length === 0
            ? { ok: true, detail: `${chain} chain and ${http} HTTP worker connections on the queues` }
            : { ok: false, detail: `no worker is connected to the ${missing.join(' and ')} request queue` }
        }),
        runHealthCheck(async () => toResult(await context.analyzer.check(healthCheckTimeoutMs - 100))),
      ])
      const checks = { redis, queue, worker, analyzer }
      const failing = Object.entries(checks).filter(([, check]) => !check.ok)
      if (failing.length === 0) return { status: 'ok' as const, checks }
      reply.status(503)
      return {
        status: 'unhealthy' as const,
        checks,
        error: {
          code: 'UNHEALTHY',
          message: failing.map(([name, check]) => `${name}: ${check.detail ?? 'failing'}`).join('; '),
        },
      }
    },
  )
}

const lanes = ['chain', 'http'] as const

async function laneState(
  context: ServerContext,
  lane: (typeof lanes)[number],
): Promise<{ counts: Record<string, number>; paused: boolean }> {
  const queue = context.requests[lane]
  const [counts, paused] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    queue.isPaused(),
  ])
  return { counts, paused }
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([name, count]) => [`${prefix}${name}`, count]))
}

function toResult(check: WorkerCheck): HealthCheckResult {
  return check.detail === undefined ? { ok: check.ok } : { ok: check.ok, detail: redactHosts(check.detail) }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
