import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import type { FunctionStore } from '../runtime/functions/FunctionStore.js'
import type { TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import type { RequestJobData, RequestJobResult } from '../runtime/queue/jobs.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import type { SandboxLimits } from '../runtime/sandbox/limits.js'
import type { ApiKeyMatch } from './apiKeys.js'
import type { JobWaiter } from './createJobWaiter.js'
import type { UploadAuthorizationPolicy } from './uploadAuthorization.js'

type Hex = `0x${string}`

/**
 * Which code a functionId names now (an on-chain registry), for HTTP calls that name a functionId. Without
 * one the API refuses functionIds: a call with a functionId runs with that function's secrets, so the code
 * must be the code its owner registered.
 */
export interface HttpFunctionRegistry {
  codeHashOf(functionId: Hex): Promise<Hex | undefined>
}

/** How the local worker is doing, for `/healthz` (when the worker runs in this process). */
export type WorkerCheck = { ok: boolean; detail?: string | undefined }

/** What every route plugin is given: the server's dependencies and settings, resolved once. */
export type ServerContext = {
  connection: Redis
  store: FunctionStore
  requests: Queue<RequestJobData, RequestJobResult>
  waiter: JobWaiter
  attestation: WorkerAttestation
  metrics: TeefnMetrics
  matchApiKey: (presented: string | undefined) => ApiKeyMatch | undefined
  /** Checks the bearer token of `/metrics` in constant time; undefined when metrics are open. */
  matchMetricsToken: ((presented: string | undefined) => ApiKeyMatch | undefined) | undefined
  probe: SandboxPool | undefined
  functionRegistry: HttpFunctionRegistry | undefined
  invoke: { defaultWaitMs: number; maxWaitMs: number }
  maximumLimits: SandboxLimits
  upload: UploadAuthorizationPolicy & { rateLimitMax: number | undefined }
  workerCheck: (() => WorkerCheck | Promise<WorkerCheck>) | undefined
  /** How long a Redis operation may take before the caller gets 503. */
  redisTimeoutMs: number
}
