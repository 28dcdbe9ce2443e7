import { createHash, randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Hex } from '../../runtime/bytes.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { requestLaneOf } from '../../runtime/queue/requestLanes.js'
import { defaultLimits, resolveLimits } from '../../runtime/sandbox/limits.js'
import { ApiError } from '../ApiError.js'
import { presentOutcome } from '../presentOutcome.js'
import { readFunctionInfo } from '../readFunctionInfo.js'
import type { ServerContext } from '../ServerContext.js'
import { Bytes32, DecimalChainId, errorResponses, flagSet, Limits, Outcome, QueryFlag } from '../schemas.js'
import { servedEvmScope } from '../servedEvmScope.js'
import { jobTokenHeader } from '../uploadMessage.js'
import { withDeadline } from '../withDeadline.js'
import { functionNotFound } from './functions.js'

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
          "run as this function of the chain's registry, which must name this codeHash; it gets the function's secrets and deriveSecret only if the owner signed settings with httpSecrets true",
      }),
    ),
    chainId: Type.Optional(
      Type.Union([DecimalChainId, Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })], {
        description: "the EVM chain of functionId's registry (default: the first chain the server reads)",
      }),
    ),
    limits: Type.Optional(Limits),
  },
  { additionalProperties: false },
)

const JobToken = Type.String({
  description: `the capability to read this job back in full (result, logs): send it as ${jobTokenHeader} to GET /v1/jobs/{id}; shown once, never stored`,
})

const Accepted = Type.Object({
  jobId: Type.String(),
  jobToken: JobToken,
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
        description: `Queues the request for the TEE workers (the same worker path as chain requests, in its own lane so that chain requests never wait behind HTTP ones; trigger "http") and waits for the signed envelope: 200 with the result, envelope, logs and stats. With \`?async=true\` (or \`"async": true\`) it answers 202 with the job id at once; when the wait (\`waitMs\`, default ${context.invoke.defaultWaitMs} ms, at most ${context.invoke.maxWaitMs}) ends first it answers 202 with the job id too. Follow a job with GET /v1/jobs/{id}, sending the \`jobToken\` of the answer as ${jobTokenHeader} to see its result and logs (without it: its state only). A function that fails still answers 200: its status (e.g. FUNCTION_ERROR, TIMEOUT) is signed into the envelope. 502 means the workers gave up on the job (infrastructure, not the function).

With \`functionId\` (and \`chainId\`, default the first EVM chain the server reads) the call runs as that function of the chain's registry: refused with 400 CHAIN_NOT_SERVED for a chain the server does not read, 403 CODE_HASH_NOT_REGISTERED unless the registry (read through the RPC quorum) names this codeHash for it, 503 CHAIN_UNAVAILABLE when the endpoints do not agree. The worker reads the registry again, and gives the function its secrets and deriveSecret only if the owner's signed settings say httpSecrets true.`,
        tags: ['invoke'],
        params: Type.Object({ codeHash: Bytes32 }),
        querystring: Type.Object({ async: Type.Optional(QueryFlag) }, { additionalProperties: false }),
        body: InvokeBody,
        response: {
          200: Type.Object({ jobId: Type.String(), jobToken: JobToken, requestId: Bytes32, ...Outcome }),
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
        throw new ApiError(`invalid request: body/waitMs must be at most ${context.invoke.maxWaitMs}`, {
          code: 'VALIDATION_FAILED',
        })
      }
      if (body.limits) checkLimits(body.limits, context)
      const { functionId, scope } = await scopeFor(body, codeHash, context)
      await ensureStored(codeHash)

      const limits = limitsKept(body.limits, context)
      const requestId = `0x${randomBytes(32).toString('hex')}` as Hex
      // Only its hash is stored: whoever reads Redis cannot use it, and only this caller learns it.
      const jobToken = randomBytes(32).toString('base64url')
      const data: RequestJobData = {
        trigger: 'http',
        chainId: '0',
        destination: zeroAddress,
        requestId,
        functionId,
        codeHash,
        request: body.request ?? '',
        ...(scope ? { scope } : {}),
        ...(limits ? { limits } : {}),
        seenAt: Date.now(),
        readTokenHash: jobTokenHash(jobToken),
      }
      const jobId = requestJobId(data)
      const links = { job: `/v1/jobs/${jobId}` }
      const runAsync = flagSet(request.query.async) || body.async === true
      // Listen before adding: the completion event cannot come before the job exists.
      const outcome = runAsync ? undefined : context.waiter.wait(jobId, waitMs)
      try {
        // Its own lane: chain requests never wait behind HTTP invocations.
        const queue = context.requests[requestLaneOf(data)]
        await withDeadline(queue.add('request', data, { jobId }), context.redisTimeoutMs)
      } catch (error) {
        context.waiter.cancel(jobId)
        throw error
      }
      if (!outcome) {
        reply.status(202)
        return {
          jobId,
          jobToken,
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
          jobToken,
          requestId,
          status: 'pending' as const,
          message: `no result within ${waitMs} ms; the job continues: follow it for its result`,
          links,
        }
      }
      if (ended.state === 'failed') {
        request.log.error({ jobId, failedReason: ended.failedReason }, 'request job failed')
        throw new ApiError(`the workers could not run job ${jobId}; retry later.`, { code: 'JOB_FAILED' })
      }
      return { jobId, jobToken, requestId, ...presentOutcome(ended.result) }
    },
  )
}

/**
 * The call's limits, with the result limit lowered to what a job keeps when the default is above it: the sandbox
 * then refuses a larger result (`RESULT_TOO_LARGE`, signed) instead of the job storing a result its caller could
 * not get back.
 */
function limitsKept(
  requested: Record<string, number | undefined> | undefined,
  context: ServerContext,
): Record<string, number | undefined> | undefined {
  if ((requested?.resultBytes ?? defaultLimits.resultBytes) <= context.retention.resultBytes) return requested
  return { ...requested, resultBytes: context.retention.resultBytes }
}

/** sha256 of a job token, as the job keeps it (0x-hex). */
export function jobTokenHash(token: string): Hex {
  return `0x${createHash('sha256').update(token, 'utf8').digest('hex')}`
}

/**
 * The operator maximum, and no more result or logs than Redis keeps of a job (`retention`): a caller's answer
 * comes through the stored job, so a larger one could not reach it whole.
 */
function checkLimits(limits: Record<string, number | undefined>, context: ServerContext): void {
  const maximum = {
    ...context.maximumLimits,
    resultBytes: Math.min(context.maximumLimits.resultBytes, context.retention.resultBytes),
    logBytes: Math.min(context.maximumLimits.logBytes, context.retention.logBytes),
  }
  try {
    resolveLimits({ requested: limits, maximum })
  } catch (error) {
    const message =
      (error as { shortMessage?: string; details?: string }).details ?? 'a limit is out of range'
    throw new ApiError(`invalid limits: ${message}.`, { code: 'LIMIT_TOO_HIGH' })
  }
}

/**
 * A functionId brings that function's scope into the run (its secrets and key, when its owner opted in), so it
 * is accepted only on a chain this server reads and only when that chain's registry, read through the RPC
 * quorum, names this codeHash for it. Anonymous calls use the zero functionId and no scope.
 */
async function scopeFor(
  body: { functionId?: string | undefined; chainId?: string | number | undefined },
  codeHash: Hex,
  context: ServerContext,
): Promise<{ functionId: Hex; scope?: FunctionScope }> {
  if (body.functionId === undefined || /^0x0{64}$/.test(body.functionId)) {
    if (body.chainId !== undefined) {
      throw new ApiError(
        'invalid request: body/chainId names the chain of body/functionId, which is missing',
        { code: 'VALIDATION_FAILED' },
      )
    }
    return { functionId: zeroBytes32 }
  }
  const { chain, scope } = servedEvmScope({
    chains: context.chains,
    chainId: body.chainId,
    functionId: body.functionId as Hex,
  })
  const { fn } = await readFunctionInfo(chain, scope.functionId)
  if (!fn.codeHash || fn.codeHash.toLowerCase() !== codeHash) {
    throw new ApiError(
      `function ${scope.functionId} does not run code ${codeHash}${fn.codeHash ? ` (the registry names ${fn.codeHash.toLowerCase()})` : ' (the registry names no code for it)'} on EVM chain ${scope.chainId}.`,
      { code: 'CODE_HASH_NOT_REGISTERED' },
    )
  }
  return { functionId: scope.functionId, scope }
}
