import type { HttpMock } from '../http/parseHttpMocks.js'
import type { InvocationErrorCode } from '../resultStatus.js'
import type { SandboxLimits } from './limits.js'

export type Trigger = 'evm' | 'substrate' | 'http' | 'cli'

/** The third argument of `main`: where the request came from. */
export type InvocationContext = {
  requestId: string
  trigger: Trigger
  codeHash: string
  chainId?: string | undefined
  sender?: string | undefined
  functionId?: string | undefined
}

/** One invocation of a bundled function, as a worker job or the CLI asks for it. */
export type Invocation = {
  /** The bundle: one ES module whose default export is `main(request, secrets, context)`. */
  code: string
  /** A string; for on-chain triggers the request payload as 0x-hex. */
  request: string
  /** Decrypted secrets, passed to `main` only. */
  secrets?: Record<string, string> | undefined
  context: InvocationContext
  /** Per-call overrides, each at most the operator maximum. */
  limits?: Partial<SandboxLimits> | undefined
  /** Hosts (`host` or `host:port`) that may be reached even on loopback or private addresses. */
  allowHosts?: string[] | undefined
  /**
   * Answers every fetch from these mocks (checked by `parseHttpMocks`) instead of the network, under the same
   * limits: `teefn run --mock`. Workers never set it.
   */
  httpMocks?: HttpMock[] | undefined
  /** 32 bytes that `deriveSecret(path)` expands for this function; without it `deriveSecret` throws. */
  functionKey?: Uint8Array | undefined
}

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug'
export type LogEntry = { level: LogLevel; message: string }

/**
 * `limit`: the fetch limit the invocation ran into when the function then failed with an error of its own (it
 * caught the fetch error and threw, as Chainlink's `exceeded numAllowedQueries`); errors that are one limit's
 * (`TIMEOUT`, `RESULT_TOO_LARGE`...) name theirs by their code.
 */
export type InvocationError = { code: InvocationErrorCode; message: string; limit?: keyof SandboxLimits }

export type InvocationStats = {
  /** From the start of the function's evaluation to its result. */
  durationMs: number
  fetches: number
  /**
   * How long the sandbox thread was busy with it (running guest or host code; waiting for the network does
   * not count): its CPU time, near enough. Per-thread CPU clocks are not available in Node 20.
   */
  cpuMs: number
}

/**
 * What an invocation ended with. Function failures are outcomes, never thrown. `compat`: a compat mode's side
 * outputs by name (Gelato's storage, Lit's signatures), when its runtime reported any; unsigned.
 */
export type InvocationOutcome = (
  | { ok: true; result: string | Uint8Array; error: null }
  | { ok: false; result: null; error: InvocationError }
) & { logs: LogEntry[]; stats: InvocationStats; compat?: Record<string, unknown> }
