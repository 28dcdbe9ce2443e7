import { decryptSecrets } from '../enclave/decryptSecrets.js'
import type { Envelope } from '../enclave/envelope.js'
import { errorResultBytes } from '../enclave/envelope.js'
import { signEnvelope } from '../enclave/signEnvelope.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import { computeCodeHash } from '../functions/computeCodeHash.js'
import type { FunctionStore } from '../functions/FunctionStore.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../queue/jobs.js'
import type { InvocationErrorCode, ResultStatus } from '../resultStatus.js'
import type { SandboxPool } from '../sandbox/createSandboxPool.js'
import { InvalidLimitError, LimitExceedsMaximumError } from '../sandbox/limits.js'
import { resultToBytes } from '../sandbox/resultToBytes.js'
import type { InvocationOutcome, LogEntry } from '../sandbox/types.js'
import type { FunctionRegistry } from './FunctionRegistry.js'

type Hex = `0x${string}`

export type FunctionRegistries = {
  evm?: FunctionRegistry | undefined
  substrate?: FunctionRegistry | undefined
  http?: FunctionRegistry | undefined
}

export type CreateRequestProcessorParameters = {
  pool: SandboxPool
  provider: TeeProvider
  store: FunctionStore
  /**
   * Registries of the chains this worker serves; a chain request from elsewhere is refused. `http` is the
   * registry that names functions for HTTP callers: an HTTP request that names a functionId (and so gets
   * its secrets and its `deriveSecret` key) runs only the codeHash that registry names for it.
   */
  registries: FunctionRegistries
  /** Queues a signed envelope for its chain (a BullMQ add with the request's job id). */
  deliver: (delivery: DeliveryJobData) => Promise<void>
  /** Hosts every function may reach on private addresses (operator setting). */
  allowHosts?: string[] | undefined
}

const zeroBytes32 = `0x${'00'.repeat(32)}` as Hex
const zeroAddress = `0x${'00'.repeat(20)}` as Hex
const maxCachedFunctionKeys = 1000
/** Verified bundles kept in memory, in UTF-16 code units (about twice that in bytes). */
const maxCachedBundleBytes = 32 * 1024 * 1024

/**
 * The worker's job: resolve the code the registry names, check the bundle against its hash, decrypt the
 * secrets, run the function, sign the envelope (failures included) and queue it for its chain.
 *
 * Infrastructure failures (Redis, an RPC) throw, so BullMQ retries the job; anything about the function
 * itself ends as a signed failure status, so the consumer learns of it.
 */
export function createRequestProcessor({
  pool,
  provider,
  store,
  registries,
  deliver,
  allowHosts = [],
}: CreateRequestProcessorParameters): (request: RequestJobData) => Promise<RequestJobResult> {
  const functionKeys = new Map<string, Uint8Array>()

  const functionKeyOf = async (functionId: Hex): Promise<Uint8Array | undefined> => {
    if (functionId === zeroBytes32) return undefined
    let key = functionKeys.get(functionId)
    if (!key) {
      key = await provider.deriveFunctionKey(functionId)
      if (functionKeys.size >= maxCachedFunctionKeys) functionKeys.delete(functionKeys.keys().next().value!)
      functionKeys.set(functionId, key)
    }
    return key
  }

  // Bundles are content-addressed: once a bundle's bytes hashed to its codeHash, they stay valid.
  const verifiedBundles = new Map<string, string>()
  let verifiedBytes = 0
  /** The bundle for a codeHash, checked against it: undefined when none is stored, false when it does not match. */
  const loadBundle = async (codeHash: Hex): Promise<string | undefined | false> => {
    const key = codeHash.toLowerCase()
    const cached = verifiedBundles.get(key)
    if (cached !== undefined) return cached
    const stored = await store.getFunction(codeHash)
    if (!stored) return undefined
    if (computeCodeHash(stored.code) !== key) return false
    if (verifiedBytes + stored.code.length > maxCachedBundleBytes) {
      verifiedBundles.clear()
      verifiedBytes = 0
    }
    verifiedBundles.set(key, stored.code)
    verifiedBytes += stored.code.length
    return stored.code
  }

  return async (request) => {
    const failed = (
      status: InvocationErrorCode,
      message: string,
      codeHash: Hex,
      outcome?: InvocationOutcome,
    ) => finish(request, codeHash, status, errorResultBytes(message), outcome?.logs ?? [], outcome?.stats)

    const resolved = await resolveCodeHash(request)
    if ('failure' in resolved) return failed(resolved.failure, resolved.message, resolved.codeHash)
    const { codeHash } = resolved
    const code = await loadBundle(codeHash)
    if (code === undefined) {
      return failed('FUNCTION_NOT_FOUND', `no bundle with codeHash ${codeHash} was uploaded`, codeHash)
    }
    if (code === false) {
      return failed('CODE_HASH_MISMATCH', `the stored bundle does not hash to ${codeHash}`, codeHash)
    }

    let secrets: Record<string, string> = {}
    const ciphertext =
      request.functionId === zeroBytes32 ? undefined : await store.getSecrets(request.functionId)
    if (ciphertext) {
      try {
        secrets = await decryptSecrets({ provider, ciphertext, functionId: request.functionId })
      } catch (error) {
        return failed(
          'SECRETS_INVALID',
          (error as Error).message.split('\n')[0] ?? 'secrets cannot be opened',
          codeHash,
        )
      }
    }

    let outcome: InvocationOutcome
    try {
      outcome = await pool.invoke({
        code,
        request: request.request,
        secrets,
        context: {
          requestId: request.requestId,
          trigger: request.trigger,
          codeHash,
          chainId: request.trigger === 'http' ? undefined : request.chainId,
          sender: request.sender,
          functionId: request.functionId === zeroBytes32 ? undefined : request.functionId,
        },
        limits: request.limits,
        allowHosts: [...allowHosts, ...(request.allowHosts ?? [])],
        functionKey: await functionKeyOf(request.functionId),
      })
    } catch (error) {
      if (error instanceof LimitExceedsMaximumError || error instanceof InvalidLimitError) {
        return failed('INTERNAL_ERROR', error.shortMessage, codeHash)
      }
      throw error
    }
    if (!outcome.ok) return failed(outcome.error.code, outcome.error.message, codeHash, outcome)
    return finish(request, codeHash, 'OK', resultToBytes(outcome.result), outcome.logs, outcome.stats)
  }

  /** The code to run: what the registry names, never only what the request (or the relayer) says. */
  async function resolveCodeHash(
    request: RequestJobData,
  ): Promise<{ codeHash: Hex } | { failure: InvocationErrorCode; message: string; codeHash: Hex }> {
    const notFound = (message: string, codeHash = zeroBytes32) => ({
      failure: 'FUNCTION_NOT_FOUND' as const,
      message,
      codeHash,
    })
    if (request.trigger === 'http') {
      if (!request.codeHash) return notFound('the HTTP request names no codeHash')
      if (request.functionId === zeroBytes32) return { codeHash: request.codeHash }
      // Naming a functionId hands the code that function's secrets and keys: only its registered code may.
      const registered = await registries.http?.codeHashOf(request)
      if (!registered || registered === zeroBytes32) {
        return notFound(
          `function ${request.functionId} is not registered for HTTP invocations`,
          request.codeHash,
        )
      }
      if (registered.toLowerCase() !== request.codeHash.toLowerCase()) {
        return {
          failure: 'CODE_HASH_MISMATCH',
          message: `function ${request.functionId} runs codeHash ${registered}, not ${request.codeHash}`,
          codeHash: request.codeHash,
        }
      }
      return { codeHash: request.codeHash }
    }
    const registry = registries[request.trigger]
    if (!registry)
      throw new Error(`this worker serves no ${request.trigger} chain (request ${request.requestId})`)
    const codeHash = await registry.codeHashOf(request)
    if (!codeHash || codeHash === zeroBytes32) {
      return notFound(`no code is registered for function ${request.functionId}`)
    }
    return { codeHash }
  }

  async function finish(
    request: RequestJobData,
    codeHash: Hex,
    status: ResultStatus,
    result: Uint8Array,
    logs: LogEntry[],
    stats = { durationMs: 0, fetches: 0 },
  ): Promise<RequestJobResult> {
    const envelope: Envelope = await signEnvelope(provider, {
      family: request.trigger === 'substrate' ? 'substrate' : 'evm',
      chainId: request.trigger === 'http' ? 0 : request.chainId,
      destination: request.trigger === 'http' ? zeroAddress : request.destination,
      requestId: request.requestId,
      functionId: request.functionId,
      codeHash,
      status,
      result,
    })
    const delivered = request.trigger !== 'http'
    if (delivered) await deliver({ request, envelope, signedAt: Date.now() })
    return { status, envelope, logs, stats, delivered }
  }
}
