import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Job } from 'bullmq'
import { Type } from 'typebox'
import type { Hex } from '../../runtime/bytes.js'
import { listRequestJobs } from '../../runtime/queue/listRequestJobs.js'
import type { RequestLane } from '../../runtime/queue/names.js'
import { ApiError } from '../ApiError.js'
import { apiKeyHeader } from '../apiKeys.js'
import { latencySummary } from '../latencySummary.js'
import { redactHosts } from '../redactHosts.js'
import type { ServerContext } from '../ServerContext.js'
import { Address, Bytes32, errorResponses } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'

const Counts = Type.Object({
  waiting: Type.Integer(),
  active: Type.Integer(),
  delayed: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
})

const Latency = Type.Object({
  jobs: Type.Integer({ description: 'completed jobs measured (the latest, at most 100)' }),
  queuedMs: Type.Object({ p50: Type.Integer(), p95: Type.Integer(), max: Type.Integer() }),
  runMs: Type.Object({ p50: Type.Integer(), p95: Type.Integer(), max: Type.Integer() }),
  recent: Type.Array(
    Type.Object({ finishedAt: Type.Integer(), queuedMs: Type.Integer(), runMs: Type.Integer() }),
    { description: 'oldest first' },
  ),
})

const Lane = Type.Object({ counts: Counts, latency: Type.Optional(Latency) })

const WorkerAdmission = Type.Object({
  family: Type.Literal('evm'),
  chainId: Type.String(),
  registry: Address,
  worker: Address,
  active: Type.Optional(Type.Boolean({ description: 'isWorkerActive at the confirmed head (quorum read)' })),
  expiresAt: Type.Optional(
    Type.Integer({
      description: 'unix seconds the admission ends (exclusive); 0 when never admitted or removed',
    }),
  ),
  attestationHash: Type.Optional(Bytes32),
  error: Type.Optional(Type.String({ description: 'why the chain could not be read (hosts redacted)' })),
})

const recentJobs = 100
const zeroFunctionId: Hex = `0x${'0'.repeat(64)}`

/**
 * `GET /v1/overview`: what the dashboard draws. Both lanes' queue depths (as `/healthz` shows them), the chain
 * lane's recent latencies (the HTTP lane's too with the operator's key) and this worker's admission on each chain
 * the node reads. Read-only, rate-limited like the rest.
 */
export const overviewPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  app.get(
    '/v1/overview',
    {
      schema: {
        summary: 'Queue depths, recent latencies and worker admission, for the dashboard',
        description: `Queue counts of both lanes to anyone; latencies of the HTTP lane only with the operator's \`${apiKeyHeader}\`. Admission is read through each chain's RPC quorum.`,
        tags: ['operations'],
        headers: Type.Object({
          [apiKeyHeader]: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
        }),
        security: [{}, { apiKey: [] }],
        response: {
          200: Type.Object({
            lanes: Type.Object({ chain: Lane, http: Lane }),
            workers: Type.Array(WorkerAdmission),
            at: Type.Integer({ description: 'ms since epoch' }),
          }),
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (request) => {
      const presented = request.headers[apiKeyHeader]
      if (presented !== undefined && !context.matchApiKey(presented)) {
        throw new ApiError('the API key is not one this server accepts.', { code: 'API_KEY_INVALID' })
      }
      const operator = presented !== undefined
      const lane = async (name: RequestLane, withLatency: boolean) => {
        const counts = await context.requests[name].getJobCounts(
          'waiting',
          'active',
          'delayed',
          'completed',
          'failed',
        )
        if (!withLatency) return { counts: counts as never }
        const completed = await listRequestJobs({
          queues: context.requests,
          lanes: [name],
          states: ['completed'],
          limit: recentJobs,
          scan: recentJobs,
        })
        return { counts: counts as never, latency: latencySummary(completed.map(({ job }) => timesOf(job))) }
      }
      const [chain, http, workers] = await Promise.all([
        withDeadline(lane('chain', true), context.redisTimeoutMs),
        withDeadline(lane('http', operator), context.redisTimeoutMs),
        readAdmissions(context),
      ])
      return { lanes: { chain, http }, workers, at: Date.now() }
    },
  )
}

function timesOf(job: Job): { queuedAt: number; startedAt?: number; finishedAt?: number } {
  return {
    queuedAt: job.timestamp,
    ...(job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
  }
}

async function readAdmissions(context: ServerContext) {
  const worker = context.attestation.publicKeys.evmAddress
  return Promise.all(
    (context.chains.evm ?? []).map(async (reader) => {
      const base = {
        family: 'evm' as const,
        chainId: reader.chainId.toString(),
        registry: reader.registry,
        worker,
      }
      try {
        const reading = await withDeadline(
          reader.readFunction(zeroFunctionId, { worker, admission: true }),
          context.redisTimeoutMs,
        )
        return { ...base, active: reading.workerActive === true, ...reading.workerAdmission }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        return { ...base, error: redactHosts(message.split('\n')[0] ?? '').slice(0, 200) }
      }
    }),
  )
}
