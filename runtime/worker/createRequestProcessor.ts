import type { Envelope } from '../enclave/envelope.js'
import { errorResultBytes } from '../enclave/envelope.js'
import { type FunctionScope, scopeId } from '../enclave/functionScope.js'
import { signEnvelope } from '../enclave/signEnvelope.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import type { Logger } from '../logging/createLogger.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../queue/jobs.js'
import type { InvocationErrorCode, ResultStatus } from '../resultStatus.js'
import type { SandboxPool } from '../sandbox/createSandboxPool.js'
import {
  defaultHttpMaximumLimits,
  InvalidLimitError,
  LimitExceedsMaximumError,
  resolveLimits,
  type SandboxLimits,
} from '../sandbox/limits.js'
import { resultToBytes } from '../sandbox/resultToBytes.js'
import type { InvocationOutcome, LogEntry } from '../sandbox/types.js'
import type { GelatoStorageStore } from '../store/createRedisGelatoStorageStore.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { CallerBusyError } from './CallerBusyError.js'
import { createBundleCache } from './createBundleCache.js'
import type { CallerAdmission, CallerQuotas } from './createCallerQuotas.js'
import { openFunctionSecrets } from './openFunctionSecrets.js'
import { openGelatoRunStorage } from './openGelatoRunStorage.js'
import { type ResolvedRequest, resolveRequest } from './resolveRequest.js'
import type { WorkerChains } from './WorkerChains.js'
import { WorkerRetryError } from './WorkerRetryError.js'

export type CreateRequestProcessorParameters = {
  pool: SandboxPool
  provider: TeeProvider
  store: FunctionStore
  /** The chains this worker serves, each read through its RPC quorum; a job for any other is refused. */
  chains: WorkerChains
  /** Queues a signed envelope for its chain (a BullMQ add with the request's job id). */
  deliver: (delivery: DeliveryJobData) => Promise<void>
  /** Hosts every function may reach on private addresses (the worker's own setting; never from a job). */
  allowHosts?: readonly string[] | undefined
  /**
   * The most an HTTP caller may ask for (`defaultHttpMaximumLimits` unless configured), within the pool's
   * maximum. Chain requests are resolved against the pool's maximum.
   */
  httpMaximumLimits?: SandboxLimits | undefined
  /**
   * Per-caller quotas for HTTP jobs that name their `caller`: over its concurrency a job waits its turn
   * (`CallerBusyError`), over its CPU time it ends as a signed `RATE_LIMITED`. None when undefined.
   */
  callerQuotas?: CallerQuotas | undefined
  /** Where Gelato-mode functions' `context.storage` persists between runs; none (each run starts empty) if undefined. */
  gelatoStorage?: GelatoStorageStore | undefined
  logger?: Logger | undefined
}

const maxCachedFunctionKeys = 1000

/**
 * The worker's job: read the request from its chain (the job is only a hint), resolve the code the registry
 * names, check the bundle against its hash, open the owner-signed secrets, run the function, sign the envelope
 * (failures included) and queue it for its chain.
 *
 * Anything the worker cannot trust or do now (a quorum not reached, a missing bundle, its own admission
 * lapsed) throws, and nothing is signed: BullMQ retries it until the retry horizon. Anything about the function
 * itself ends as a signed failure status, so the consumer learns of it.
 *
 * HTTP jobs get the HTTP maximum limits, and a caller's jobs the caller's quotas: one over its concurrency
 * throws `CallerBusyError` (the job waits its turn), one over its CPU time is signed `RATE_LIMITED`.
 */
export function createRequestProcessor({
  pool,
  provider,
  store,
  chains,
  deliver,
  allowHosts = [],
  httpMaximumLimits = defaultHttpMaximumLimits,
  callerQuotas,
  gelatoStorage,
  logger,
}: CreateRequestProcessorParameters): (job: RequestJobData) => Promise<RequestJobResult> {
  const functionKeys = new Map<string, Uint8Array>()
  const functionKeyOf = async (scope: FunctionScope): Promise<Uint8Array> => {
    const id = scopeId(scope)
    let key = functionKeys.get(id)
    if (!key) {
      key = await provider.deriveFunctionKey(scope)
      if (functionKeys.size >= maxCachedFunctionKeys) functionKeys.delete(functionKeys.keys().next().value!)
      functionKeys.set(id, key)
    }
    return key
  }
  const bundles = createBundleCache({ store })
  const worker = provider.publicKeys.evmAddress

  return async (job) => {
    const request = await resolveRequest(job, { chains, store, worker })
    if (request.disagreements.length > 0) {
      logger?.warn(
        { requestId: request.requestId, fields: request.disagreements },
        'the job disagrees with the chain; answering the request the chain holds',
      )
    }
    const failed = (status: InvocationErrorCode, message: string, outcome?: InvocationOutcome) =>
      finish(job, request, status, errorResultBytes(message), outcome?.logs ?? [], outcome?.stats)
    if (request.failure) return failed(request.failure.status, request.failure.message)

    // Anyone can call over HTTP: within the HTTP maxima, and the caller's quotas.
    let limits = request.limits
    if (request.trigger === 'http') {
      try {
        limits = resolveLimits({ requested: request.limits, maximum: httpMaximumLimits })
      } catch (error) {
        if (error instanceof LimitExceedsMaximumError || error instanceof InvalidLimitError) {
          return failed(
            'INTERNAL_ERROR',
            `A limit asked for is above what HTTP callers may ask for: ${error.details}.`,
          )
        }
        throw error
      }
    }
    let admission: CallerAdmission | undefined
    if (request.trigger === 'http' && job.caller !== undefined && callerQuotas) {
      admission = callerQuotas.admit(job.caller)
      if (!admission.admitted) {
        if (admission.reason === 'CONCURRENCY')
          throw new CallerBusyError(admission.message, admission.retryAfterMs)
        return failed('RATE_LIMITED', admission.message)
      }
    }
    let cpuMs = 0
    try {
      const outcome = await run(request, job, limits)
      if (outcome.outcome) cpuMs = outcome.outcome.stats.cpuMs
      return outcome.result
    } finally {
      if (admission?.admitted) admission.done(cpuMs)
    }
  }

  /** The function run for a resolved request that may run: bundle, secrets, sandbox, signed envelope. */
  async function run(
    request: ResolvedRequest,
    job: RequestJobData,
    limits: Partial<SandboxLimits> | undefined,
  ): Promise<{ result: RequestJobResult; outcome?: InvocationOutcome }> {
    const failed = async (status: InvocationErrorCode, message: string, outcome?: InvocationOutcome) => ({
      result: await finish(
        job,
        request,
        status,
        errorResultBytes(message),
        outcome?.logs ?? [],
        outcome?.stats,
      ),
      outcome,
    })
    const code = await bundles.load(request.codeHash)
    if (code === undefined) {
      // The registry names this code: its bundle will come (an upload, a Redis restore). Never a final answer.
      if (request.trigger !== 'http') {
        throw new WorkerRetryError('The bundle the registry names is not stored here.', {
          code: 'BUNDLE_MISSING',
          details: `No bundle with codeHash ${request.codeHash} for function ${request.functionId}.`,
          hint: 'Upload it (teefn deploy); the request waits until then or its retry horizon.',
        })
      }
      return failed('FUNCTION_NOT_FOUND', `no bundle with codeHash ${request.codeHash} was uploaded`)
    }
    if (code === false)
      return failed('CODE_HASH_MISMATCH', `the stored bundle does not hash to ${request.codeHash}`)

    let secrets: Record<string, string> = {}
    let functionKey: Uint8Array | undefined
    if (request.privileged && request.scope) {
      const opened = await openFunctionSecrets({
        provider,
        store,
        scope: request.scope,
        owner: request.owner,
      })
      if (!opened.ok) return failed('SECRETS_INVALID', opened.message)
      secrets = opened.secrets
      functionKey = await functionKeyOf(request.scope)
    }
    const storage =
      gelatoStorage &&
      (await openGelatoRunStorage({
        store: gelatoStorage,
        code,
        request: request.payload,
        scope: request.scope,
        functionKey,
      }))
    if (storage?.ok === false) return failed('INTERNAL_ERROR', storage.message)

    let outcome: InvocationOutcome
    try {
      outcome = await pool.invoke({
        code,
        request: storage?.request ?? request.payload,
        secrets,
        context: {
          requestId: request.requestId,
          trigger: request.trigger,
          codeHash: request.codeHash,
          chainId: request.trigger === 'http' ? undefined : request.chainId,
          sender: request.sender,
          functionId: request.scope ? request.functionId : undefined,
        },
        limits,
        allowHosts: [...allowHosts],
        functionKey,
      })
    } catch (error) {
      if (error instanceof LimitExceedsMaximumError || error instanceof InvalidLimitError) {
        return failed('INTERNAL_ERROR', error.shortMessage)
      }
      throw error
    }
    if (!outcome.ok) return failed(outcome.error.code, outcome.error.message, outcome)
    const refused = await storage?.save(outcome)
    if (refused !== undefined) return failed('INTERNAL_ERROR', refused, outcome)
    return {
      result: await finish(job, request, 'OK', resultToBytes(outcome.result), outcome.logs, outcome.stats),
      outcome,
    }
  }

  async function finish(
    job: RequestJobData,
    request: ResolvedRequest,
    status: ResultStatus,
    result: Uint8Array,
    logs: LogEntry[],
    { durationMs, fetches }: { durationMs: number; fetches: number } = { durationMs: 0, fetches: 0 },
  ): Promise<RequestJobResult> {
    const envelope: Envelope = await signEnvelope(provider, {
      family: request.family,
      chainId: request.chainId,
      destination: request.destination,
      requestId: request.requestId,
      functionId: request.functionId,
      payloadHash: request.payloadHash,
      codeHash: request.codeHash,
      status,
      result,
    })
    const delivered = request.trigger !== 'http'
    if (delivered) {
      const policy = request.policy ? { policy: request.policy } : {}
      await deliver({ request: job, envelope, signedAt: Date.now(), ...policy })
    }
    return { status, envelope, logs, stats: { durationMs, fetches }, delivered }
  }
}
