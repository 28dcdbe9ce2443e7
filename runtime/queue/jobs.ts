import type { Hex } from '../bytes.js'
import type { Envelope } from '../enclave/envelope.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import type { ResultStatus } from '../resultStatus.js'
import type { ChainFamily } from './names.js'

/**
 * Limits an HTTP caller asks for, by name (the sandbox's `SandboxLimits` fields); the worker checks them against
 * its own maxima. The queue keeps its own types so that chain adapters, which only produce and consume jobs, do
 * not depend on the sandbox.
 */
export type RequestLimits = Partial<
  Record<
    | 'timeoutMs'
    | 'memoryBytes'
    | 'stackBytes'
    | 'resultBytes'
    | 'logBytes'
    | 'maxFetches'
    | 'fetchResponseBytes'
    | 'fetchTimeoutMs',
    number
  >
>

/** One line the function logged, as the job's result keeps it. */
export type JobLogEntry = { level: 'log' | 'info' | 'warn' | 'error' | 'debug'; message: string }

/** Where a request came from, for logs and latency; never used to decide anything. */
export type RequestOrigin = {
  blockNumber?: number | undefined
  blockHash?: string | undefined
  transactionHash?: string | undefined
  /** EVM: the log's index in its block. Substrate: the extrinsic's index in its block. */
  index?: number | undefined
}

/**
 * One request for a function run: the payload of a job on the request queue. Redis and whoever writes jobs
 * are untrusted: for chain triggers every field is only a hint of where to look, and the worker reads the
 * request again from the chain (through its RPC quorum) before it runs or signs anything.
 */
export type RequestJobData = {
  /** `http` requests are answered to the caller; chain requests are delivered to their chain. */
  trigger: ChainFamily | 'http'
  /** EVM: decimal chain id. Substrate: 0x genesis hash. HTTP: '0'. */
  chainId: string
  /** EVM: the consumer contract. Substrate: the destination account. HTTP: the zero address. */
  destination: Hex
  /** bytes32, unique per chain and destination. */
  requestId: Hex
  /** bytes32; the registry maps it to the codeHash that may run now. */
  functionId: Hex
  /** The code to run. Chain requests omit it: the worker asks the chain's registry. */
  codeHash?: Hex | undefined
  /** Passed to `main`: the payload as 0x-hex for chain requests, text for HTTP. */
  request: string
  /** Who asked (EVM: the requester address; Substrate: the signer). */
  sender?: string | undefined
  /**
   * HTTP: who asked, as the API identifies callers (an API key, or the client's IP address), for the worker's
   * per-caller quotas. Never logged or signed: it may be a credential.
   */
  caller?: string | undefined
  /** Per-call limits (HTTP callers may ask, up to the worker's maxima; chain requests use the defaults). */
  limits?: RequestLimits | undefined
  /** HTTP: the registry scope of `functionId`, when the caller named one. */
  scope?: FunctionScope | undefined
  /** 0 (or absent) for the first run; a re-run after the chain refused a delivery counts up. */
  run?: number | undefined
  /** When the request was seen (ms since epoch), to measure latency. */
  seenAt: number
  origin?: RequestOrigin | undefined
  /**
   * HTTP: sha256 (0x-hex) of the capability token the caller got back at invoke time, which lets it read the
   * job's result and logs back (`GET /v1/jobs/:id`). The worker ignores it.
   */
  readTokenHash?: Hex | undefined
}

/** What a worker returns for a request job (kept on the completed job, read by the HTTP API). */
export type RequestJobResult = {
  status: ResultStatus
  envelope: Envelope
  logs: JobLogEntry[]
  stats: { durationMs: number; fetches: number }
  /** Whether a delivery job was queued for a chain. */
  delivered: boolean
  /**
   * Set when the result was over what Redis keeps (`Retention.resultBytes`): the stored envelope has `result: '0x'`
   * and its `resultHash` still commits to the result of this many bytes.
   */
  resultOmitted?: { bytes: number } | undefined
}

/** A signed envelope on its way to a chain: the payload of a job on a delivery queue. */
export type DeliveryJobData = {
  request: RequestJobData
  envelope: Envelope
  signedAt: number
  /**
   * EVM: the result policy the consumer applied to the function when the worker read the request (through its
   * RPC quorum): with `threshold` above 1 the submitter gathers a quorum (docs/protocol.md, section 6) instead of
   * sending this envelope alone. `aggregation` is the registry's `Aggregation` index.
   */
  policy?: { threshold: number; aggregation: number } | undefined
}
