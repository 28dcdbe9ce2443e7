import type { Redis } from 'ioredis'
import type { EvmChainReader } from '../runtime/chain/evm/createEvmChainReader.js'
import type { WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import type { TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import type { QuorumEnvelopeStore } from '../runtime/queue/createQuorumEnvelopeStore.js'
import type { Retention } from '../runtime/queue/jobOptions.js'
import type { RequestQueues } from '../runtime/queue/requestLanes.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import type { SandboxLimits } from '../runtime/sandbox/limits.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import type { ApiKeyMatch } from './apiKeys.js'
import type { BundleAnalyzer } from './createBundleAnalyzer.js'
import type { JobWaiter } from './createJobWaiter.js'
import type { UploadAuthorizationPolicy } from './uploadAuthorization.js'

/** The part of the worker's quorum reader of an EVM chain (`createEvmChainReader`) the API uses. */
export type ServerEvmChain = Pick<EvmChainReader, 'chainId' | 'registry' | 'readFunction'>

/**
 * The chains whose registries the API reads, through the same RPC quorum readers as the worker: which code a
 * functionId runs (for HTTP calls that name one) and who owns it (for owner-signed secrets and settings).
 * The first EVM chain is the default of calls that name no chain.
 */
export type ServerChains = {
  evm?: readonly ServerEvmChain[] | undefined
  /** Substrate chains this node serves: whose quorum envelopes it keeps, signed by which workers. */
  substrate?: readonly ServerSubstrateChain[] | undefined
}

/** A Substrate chain as `POST /v1/envelopes` sees it: its genesis hash and its pinned quorum workers. */
export type ServerSubstrateChain = {
  genesisHash: string
  /** sr25519 keys (`substrate[].resultQuorum.workers`) whose envelopes are kept, besides this node's own worker's. */
  resultWorkers: readonly string[]
}

/** How the local worker is doing, for `/healthz` (when the worker runs in this process). */
export type WorkerCheck = { ok: boolean; detail?: string | undefined }

/** What every route plugin is given: the server's dependencies and settings, resolved once. */
export type ServerContext = {
  connection: Redis
  store: FunctionStore
  /** Both request lanes: invocations go into the HTTP lane's queue, job reads look in either. */
  requests: RequestQueues
  waiter: JobWaiter
  attestation: WorkerAttestation
  metrics: TeefnMetrics
  matchApiKey: (presented: string | undefined) => ApiKeyMatch | undefined
  /** Checks the bearer token of `/metrics` in constant time; undefined when metrics are open. */
  matchMetricsToken: ((presented: string | undefined) => ApiKeyMatch | undefined) | undefined
  probe: SandboxPool | undefined
  /** esbuild for upload checks, restarted when it dies. */
  analyzer: BundleAnalyzer
  chains: ServerChains
  /** The node origins owner signatures (uploads, job reads) may name: this node's, never another's. */
  origins: () => readonly string[]
  /** What Redis keeps of request jobs: the API refuses per-call results above `resultBytes`. */
  retention: Retention
  invoke: { defaultWaitMs: number; maxWaitMs: number }
  maximumLimits: SandboxLimits
  upload: UploadAuthorizationPolicy & { rateLimitMax: number | undefined }
  workerCheck: (() => WorkerCheck | Promise<WorkerCheck>) | undefined
  /** Signed envelopes of quorum requests, this node's and its peers' (`POST /v1/envelopes`). */
  quorumEnvelopes: QuorumEnvelopeStore
  /** How long a Redis operation may take before the caller gets 503. */
  redisTimeoutMs: number
}
