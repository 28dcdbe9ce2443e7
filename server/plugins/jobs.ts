import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError } from '../ApiError.js'
import { presentOutcome } from '../presentOutcome.js'
import type { ServerContext } from '../ServerContext.js'
import { Bytes32, errorResponses, Outcome, StringEnum } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'

/** Request job ids (`requestJobId`): `<trigger>-<chainId>-<destination>-<requestId>`, lowercase. */
const jobIdPattern = '^[a-z]{1,16}-[0-9a-fx]{1,80}-0x[0-9a-f]{0,512}-0x[0-9a-f]{64}$'

const JobState = StringEnum([
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
  'unknown',
] as const)

const JobDetails = Type.Object({
  jobId: Type.String(),
  state: JobState,
  trigger: Type.String(),
  chainId: Type.String(),
  requestId: Bytes32,
  functionId: Bytes32,
  codeHash: Type.Optional(Bytes32),
  attempts: Type.Integer({ description: 'attempts made so far (infrastructure failures are retried)' }),
  timings: Type.Object({
    seenAt: Type.Integer({ description: 'when the request was seen (ms since epoch)' }),
    queuedAt: Type.Integer(),
    startedAt: Type.Optional(Type.Integer()),
    finishedAt: Type.Optional(Type.Integer()),
    queuedMs: Type.Optional(Type.Integer({ description: 'from queued to picked up by a worker' })),
    runMs: Type.Optional(Type.Integer({ description: 'from picked up to finished' })),
  }),
  outcome: Type.Optional(Type.Object(Outcome, { description: 'the signed result, once completed' })),
  failedReason: Type.Optional(Type.String({ description: 'why the workers gave up (first line)' })),
})

/** `GET /v1/jobs/:id`: a request job's state, timings, logs and envelope (HTTP and chain requests alike). */
export const jobsPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (app, { context }) => {
  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'A request job: state, timings, logs and envelope',
        description:
          'Any request job, HTTP or chain. Completed and failed jobs are kept for a day (completed) or until an operator removes them (failed).',
        tags: ['jobs'],
        params: Type.Object({ id: Type.String({ pattern: jobIdPattern, maxLength: 700 }) }),
        response: { 200: JobDetails, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => {
      const jobId = request.params.id
      const job = await withDeadline(context.requests.getJob(jobId), context.redisTimeoutMs)
      if (!job) {
        throw new ApiError('JOB_NOT_FOUND', `no job ${jobId}.`, {
          hint: 'Jobs are kept for a day after they complete.',
        })
      }
      const state = await withDeadline(job.getState(), context.redisTimeoutMs)
      const { data } = job
      const startedAt = job.processedOn ?? undefined
      const finishedAt = job.finishedOn ?? undefined
      return {
        jobId,
        state,
        trigger: data.trigger,
        chainId: data.chainId,
        requestId: data.requestId,
        functionId: data.functionId,
        ...(data.codeHash ? { codeHash: data.codeHash } : {}),
        attempts: job.attemptsMade,
        timings: {
          seenAt: data.seenAt,
          queuedAt: job.timestamp,
          ...(startedAt !== undefined ? { startedAt, queuedMs: Math.max(0, startedAt - job.timestamp) } : {}),
          ...(finishedAt !== undefined ? { finishedAt } : {}),
          ...(startedAt !== undefined && finishedAt !== undefined ? { runMs: finishedAt - startedAt } : {}),
        },
        ...(state === 'completed' && job.returnvalue ? { outcome: presentOutcome(job.returnvalue) } : {}),
        ...(state === 'failed' && job.failedReason
          ? { failedReason: (job.failedReason.split('\n')[0] ?? '').slice(0, 300) }
          : {}),
      }
    },
  )
}
