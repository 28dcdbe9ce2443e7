import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { createDeliveryReader } from '../../runtime/queue/createDeliveryReader.js'
import { getRequestJob } from '../../runtime/queue/requestLanes.js'
import { ApiError } from '../ApiError.js'
import { apiKeyHeader } from '../apiKeys.js'
import { authorizeJobRead } from '../authorizeJobRead.js'
import { presentOutcome } from '../presentOutcome.js'
import { redactHosts } from '../redactHosts.js'
import type { ServerContext } from '../ServerContext.js'
import { Address, Bytes32, Envelope, errorResponses, Outcome, StringEnum } from '../schemas.js'
import { jobTokenHeader, ownerHeader, signatureHeader, timestampHeader } from '../uploadMessage.js'
import { withDeadline } from '../withDeadline.js'

/** Request job ids (`requestJobId`): `<trigger>-<chainId>-<destination>-<requestId>`, lowercase. */
const jobIdPattern = '^[a-z]{1,16}-[0-9a-fx]{1,80}-0x[0-9a-f]{0,512}-0x[0-9a-f]{64}(-r[0-9]{1,6})?$'

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

const Delivery = Type.Object(
  {
    state: StringEnum([
      'queued',
      'sending',
      'retrying',
      'delivered',
      'already_delivered',
      'rerun',
      'refused',
    ] as const),
    attempts: Type.Integer(),
    transactionHash: Type.Optional(Type.String()),
    blockNumber: Type.Optional(Type.Integer()),
    blockHash: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String({ description: "the consumer's reason, or the error's first line" })),
    run: Type.Optional(Type.Integer({ description: 'for a rerun: the run queued anew' })),
  },
  { description: "a chain job's signed envelope on its way to the chain (public: the chain shows it too)" },
)

const JobDetails = Type.Object({
  jobId: Type.String(),
  state: JobState,
  access: StringEnum(['public', 'full'] as const, {
    description:
      'public: state, timings and a chain job envelope; full: also the outcome (result, logs) and failure',
  }),
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
  // The signed envelope once completed: to anyone for chain jobs, in full access for HTTP jobs.
  envelope: Type.Optional(Envelope),
  outcome: Type.Optional(
    Type.Object(Outcome, { description: 'the signed result with its logs, once completed (full access)' }),
  ),
  failedReason: Type.Optional(
    Type.String({ description: 'why the workers gave up (first line, hosts redacted; full access)' }),
  ),
  delivery: Type.Optional(Delivery),
})

const JobHeaders = Type.Object({
  [apiKeyHeader]: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  [jobTokenHeader]: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  [ownerHeader]: Type.Optional(Address),
  [timestampHeader]: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$', description: 'unix seconds' })),
  [signatureHeader]: Type.Optional(Type.String({ pattern: '^0x[0-9a-fA-F]{130}$', description: '65 bytes' })),
})

/**
 * `GET /v1/jobs/:id`: a request job (HTTP or chain). Anyone sees its state and timings, and a chain job's envelope;
 * its outcome (result, logs) and why it failed need the operator's API key, the job token of the invocation that
 * made it, or the function owner's signature (`authorizeJobRead`). No answer names a host.
 */
export const jobsPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (app, { context }) => {
  // Each chain's delivery queue is opened once, on the first read of one of its jobs.
  const deliveries = createDeliveryReader(context.connection)
  app.addHook('onClose', () => deliveries.close())
  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'A request job: state and timings; result, logs and failure to those entitled',
        description: `Any request job, HTTP or chain. Without credentials: its state, timings and, for a chain job, its signed envelope (which its chain receives anyway). Its outcome (result, logs) and why it failed, with one of: the operator's \`${apiKeyHeader}\`; the \`jobToken\` its invocation answered with, as \`${jobTokenHeader}\`; the function owner's EIP-191 signature of \`teefn jobs <job id> at <unix seconds> to <node origin>\` in \`${ownerHeader}\`, \`${timestampHeader}\` and \`${signatureHeader}\` (chain jobs, and HTTP jobs that named a functionId; at most 5 minutes old). Wrong credentials are refused (401, 403). Finished jobs are kept for the node's retention (an hour and 2,000 jobs by default).`,
        tags: ['jobs'],
        params: Type.Object({ id: Type.String({ pattern: jobIdPattern, maxLength: 700 }) }),
        headers: JobHeaders,
        security: [
          {},
          { apiKey: [] },
          { jobToken: [] },
          { ownerSignature: [], ownerAddress: [], signedTimestamp: [] },
        ],
        response: { 200: JobDetails, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request) => {
      const jobId = request.params.id
      let job = await withDeadline(getRequestJob(context.requests, jobId), context.redisTimeoutMs)
      if (!job) {
        throw new ApiError(`no job ${jobId}.`, {
          code: 'JOB_NOT_FOUND',
          hint: "Finished jobs are kept for the node's retention (an hour by default).",
        })
      }
      const { data } = job
      const access = await authorizeJobRead({
        job: { jobId, ...data },
        presented: {
          apiKey: request.headers[apiKeyHeader],
          jobToken: request.headers[jobTokenHeader],
          owner: request.headers[ownerHeader],
          timestamp: request.headers[timestampHeader],
          signature: request.headers[signatureHeader],
        },
        matchApiKey: context.matchApiKey,
        chains: context.chains,
        origins: context.origins(),
        window: context.upload,
      })
      const full = access.level === 'full'
      const state = await withDeadline(job.getState(), context.redisTimeoutMs)
      if ((state === 'completed' || state === 'failed') && job.finishedOn === undefined) {
        // It finished between the two reads: read it again for its result, failure and timings.
        job = (await withDeadline(getRequestJob(context.requests, jobId), context.redisTimeoutMs)) ?? job
      }
      const startedAt = job.processedOn ?? undefined
      const finishedAt = job.finishedOn ?? undefined
      const completed = state === 'completed' && job.returnvalue ? job.returnvalue : undefined
      const delivery = completed
        ? await withDeadline(deliveries.read({ jobId, request: data }), context.redisTimeoutMs)
        : undefined
      return {
        jobId,
        state,
        access: access.level,
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
        ...(completed && (full || data.trigger !== 'http') ? { envelope: completed.envelope } : {}),
        ...(completed && full ? { outcome: presentOutcome(completed) } : {}),
        ...(state === 'failed' && job.failedReason && full
          ? { failedReason: redactHosts(job.failedReason.split('\n')[0] ?? '').slice(0, 300) }
          : {}),
        ...(delivery
          ? {
              delivery: {
                ...delivery,
                ...(delivery.reason ? { reason: redactHosts(delivery.reason).slice(0, 300) } : {}),
              },
            }
          : {}),
      }
    },
  )
}
