import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { shortJobId } from '../../runtime/queue/jobIds.js'
import { listedJobStates, listRequestJobs } from '../../runtime/queue/listRequestJobs.js'
import { ApiError } from '../ApiError.js'
import { apiKeyHeader } from '../apiKeys.js'
import type { ServerContext } from '../ServerContext.js'
import { Bytes32, errorResponses, StringEnum } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'

const ListedJob = Type.Object({
  jobId: Type.String(),
  shortId: Type.String({ description: 'for display: trigger and the first 10 hex digits of the request id' }),
  state: StringEnum(listedJobStates),
  trigger: Type.String(),
  chainId: Type.String(),
  requestId: Bytes32,
  functionId: Bytes32,
  codeHash: Type.Optional(Bytes32),
  queuedAt: Type.Integer({ description: 'ms since epoch' }),
  finishedAt: Type.Optional(Type.Integer()),
})

/**
 * `GET /v1/jobs?function=&state=&limit=`: request jobs, newest first, as public as a single job read shows them
 * (ids, state, timings). Chain jobs to anyone (the chain shows them too); HTTP jobs only with the operator's key.
 */
export const jobListPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'Request jobs, newest first: ids, state and timings',
        description: `Chain jobs to anyone; HTTP jobs too with the operator's \`${apiKeyHeader}\`. Read a job's outcome with \`GET /v1/jobs/{id}\`. At most the latest 1,000 jobs per state and lane are searched.`,
        tags: ['jobs'],
        querystring: Type.Object(
          {
            function: Type.Optional(
              Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: 'a functionId or codeHash' }),
            ),
            state: Type.Optional(StringEnum(listedJobStates)),
            // Query values are strings (the server coerces no types): 1 to 100.
            limit: Type.Optional(
              Type.String({
                pattern: '^(100|[1-9][0-9]?)$',
                description: 'at most this many, 1-100 (default 20)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        headers: Type.Object({
          [apiKeyHeader]: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
        }),
        security: [{}, { apiKey: [] }],
        response: {
          200: Type.Object({ jobs: Type.Array(ListedJob) }),
          ...errorResponses(400, 401, 429, 503),
        },
      },
    },
    async (request) => {
      const presented = request.headers[apiKeyHeader]
      if (presented !== undefined && !context.matchApiKey(presented)) {
        throw new ApiError('the API key is not one this server accepts.', { code: 'API_KEY_INVALID' })
      }
      const operator = presented !== undefined
      const { function: fn, state } = request.query
      const limit = Number(request.query.limit ?? 20)
      const listed = await withDeadline(
        listRequestJobs({
          queues: context.requests,
          states: state ? [state] : undefined,
          function: fn,
          // Without the key the HTTP lane is not read at all.
          lanes: operator ? ['chain', 'http'] : ['chain'],
          limit,
        }),
        context.redisTimeoutMs,
      )
      const jobs = listed.map(({ job, state }) => ({
        jobId: job.id!,
        shortId: shortJobId(job.data),
        state,
        trigger: job.data.trigger,
        chainId: job.data.chainId,
        requestId: job.data.requestId,
        functionId: job.data.functionId,
        ...(job.data.codeHash ? { codeHash: job.data.codeHash } : {}),
        queuedAt: job.timestamp,
        ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
      }))
      return { jobs }
    },
  )
}
