import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { resolveLimits } from '../../runtime/sandbox/limits.js'
import { ApiError } from '../ApiError.js'
import { presentOutcome } from '../presentOutcome.js'
import type { ServerContext } from '../ServerContext.js'
import { Bytes32, errorResponses, flagSet, Limits, Outcome, QueryFlag } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'
import { functionNotFound } from './functions.js'

type Hex = `0x${string}`

/** Longest request text an HTTP caller may send (characters). */
export const maxRequestLength = 64 * 1024
export const invokeBodyLimit = 256 * 1024

const zeroBytes32 = `0x${'00'.repeat(32)}` as Hex
const zeroAddress = `0x${'00'.repeat(20)}` as Hex
/** codeHashes known to be stored: bundles are immutable, so a hit never goes stale. */
const maxKnownFunctions = 10_000

const InvokeBody = Type.Object(
  {
    request: Type.Optional(
      Type.String({
        maxLength: maxRequestLength,
        description: "passed to main as its first argument (default '')",
      }),
    ),
    async: Type.Optional(
      Type.Boolean({ description: 'answer 202 with the job id at once instead of waiting' }),
    ),
    waitMs: Type.Optional(
      Type.Integer({ minimum: 1, description: 'how long to wait for the envelope before answering 202' }),
    ),
    functionId: Type.Optional(
      Type.String({
        pattern: '^0x[0-9a-fA-F]{64}$',
        description:
          "run as this function (with its secrets); only where the server knows the function's registry",
      }),
    ),
    limits: Type.Optional(Limits),
  },
  { additionalProperties: false },
)

const Accepted = Type.Object({
  jobId: Type.String(),
  requestId: Bytes32,
  status: Type.Union([Type.Literal('queued'), Type.Literal('pending')]),
  message: Type.String(),
  links: Type.Object({ job: Type.String() }),
})

/** `POST /v1/functions/:codeHash/invoke`: runs a function through the queue and the workers, like a chain request. */
export const invokePlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  const known = new Set<string>()
  const ensureStored = async (codeHash: Hex) => {
    if (known.has(codeHash)) return
    if (!(await withDeadline(context.store.getFunction(codeHash), context.redisTimeoutMs))) {
      throw functionNotFound(codeHash)
    }
    if (known.size >= maxKnownFunctions) known.delete(known.values().next().value!)
    known.add(codeHash)
  }

  app.post(
    '/v1/functions/:codeHash/invoke',
    {
      bodyLimit: invokeBodyLimit,
      schema: {
        summary: 'Invoke a function',
        description: `Queues the request for the TEE workers (the same queue and worker path as chain requests, trigger "http") and waits for the signed envelope: 200 with the result, envelope, logs and stats. With \`?async=true\` (or \`"async": true\`) it answers 202 with the job id at once; when the wait (\`waitMs\`, default ${context.invoke.defaultWaitMs} ms, at most ${context.invoke.maxWaitMs}) ends first it answers 202 with the job id too. Follow a job with GET /v1/jobs/{id}. A function that fails still answers 200: its status (e.g. FUNCTION_ERROR, TIMEOUT) is signed into the envelope. 502 means the workers gave up on the job (infrastructure, not the function).`,
        tags: ['invoke'],
        params: Type.Object({ codeHash: Bytes32 }),
        querystring: Type.Object({ async: Type.Optional(QueryFlag) }, { additionalProperties: false }),
        body: InvokeBody,
        response: {
          200: Type.Object({ jobId: Type.String(), requestId: Bytes32, ...Outcome }),
          202: Accepted,
          ...errorResponses(400, 403, 404, 413, 429, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const codeHash = request.params.codeHash.toLowerCase() as Hex
      const body = request.body
      const waitMs = body.waitMs ?? context.invoke.defaultWaitMs
      if (waitMs > context.invoke.maxWaitMs) {
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          `invalid request: body/waitMs must be at most ${context.invoke.maxWaitMs}`,
        )
      }
      if (body.limits) checkLimits(body.limits, context)
      const functionId = await functionIdFor(body.functionId as Hex | undefined, codeHash, context)
      await ensureStored(codeHash)

      const requestId = `0x${randomBytes(32).toString('hex')}` as Hex
      const data: RequestJobData = {
        trigger: 'http',
        chainId: '0',
        destination: zeroAddress,
        requestId,
        functionId,
        codeHash,
        request: body.request ?? '',
        ...(body.limits ? { limits: body.limits } : {}),
        seenAt: Date.now(),
      }
      const jobId = requestJobId(data)
      const links = { job: `/v1/jobs/${jobId}` }
      const runAsync = flagSet(request.query.async) || body.async === true
      // Listen before adding: the completion event cannot come before the job exists.
      const outcome = runAsync ? undefined : context.waiter.wait(jobId, waitMs)
      try {
        await withDeadline(context.requests.add('request', data, { jobId }), context.redisTimeoutMs)
      } catch (error) {
        context.waiter.cancel(jobId)
        throw error
      }
      if (!outcome) {
        reply.status(202)
        return {
          jobId,
          requestId,
          status: 'queued' as const,
          message: 'queued; follow the job for its result',
          links,
        }
      }
      const ended = await outcome
      if (ended.state === 'pending') {
        reply.status(202)
        return {
          jobId,
          requestId,
          status: 'pending' as const,
          message: `no result within ${waitMs} ms; the job continues: follow it for its result`,
          links,
        }
      }
      if (ended.state === 'failed') {
        request.log.error({ jobId, failedReason: ended.failedReason }, 'request job failed')
        throw new ApiError(502, 'JOB_FAILED', `the workers could not run job ${jobId}; retry later.`)
      }
      return { jobId, requestId, ...presentOutcome(ended.result) }
    },
  )
}

function checkLimits(limits: Record<string, number | undefined>, context: ServerContext): void {
  try {
    resolveLimits({ requested: limits, maximum: context.maximumLimits })
  } catch (error) {
    const message =
      (error as { shortMessage?: string; details?: string }).details ?? 'a limit is out of range'
    throw new ApiError(400, 'LIMIT_TOO_HIGH', `invalid limits: ${message}.`)
  }
}

/**
 * A functionId brings that function's secrets into the run, so it is accepted only when the registry names this
 * codeHash for it; anonymous calls use the zero functionId (no secrets, no function key).
 */
async function functionIdFor(
  functionId: Hex | undefined,
  codeHash: Hex,
  context: ServerContext,
): Promise<Hex> {
  if (functionId === undefined || /^0x0{64}$/.test(functionId)) return zeroBytes32
  if (!context.functionRegistry) {
    throw new ApiError(
      403,
      'FUNCTION_ID_NOT_SUPPORTED',
      'this server runs HTTP calls without a functionId (no secrets): it has no function registry to check it against.',
    )
  }
  const registered = await context.functionRegistry.codeHashOf(functionId.toLowerCase() as Hex)
  if (!registered || registered.toLowerCase() !== codeHash) {
    throw new ApiError(
      403,
      'CODE_HASH_NOT_REGISTERED',
      `function ${functionId.toLowerCase()} does not run code ${codeHash}${registered ? ` (the registry names ${registered.toLowerCase()})` : ' (the registry names no code for it)'}.`,
    )
  }
  return functionId.toLowerCase() as Hex
}
