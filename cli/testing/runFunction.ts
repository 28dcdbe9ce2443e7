import { readFile } from 'node:fs/promises'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { phatSecretsKey } from '../../runtime/compat/phat/phatSecretsKey.js'
import { type HttpMock, parseHttpMocks } from '../../runtime/http/parseHttpMocks.js'
import { createSandboxPool, type SandboxLimits } from '../../runtime/sandbox/index.js'
import { closeSandboxPool } from '../run/closeSandboxPool.js'
import { type GelatoRunInput, gelatoRequestText } from '../run/gelatoRunRequest.js'
import { type RunReport, runFunctionOnce } from '../run/runFunctionOnce.js'

export type RunFunctionParameters = {
  /** The function's entry (`.ts` or `.js`), bundled as `teefn run` bundles it; relative to the working directory. */
  entry: string
  /** The request string passed to `main`; default empty. */
  request?: string | undefined
  /** The secrets object; with `compat: 'phat'`, Phat's secrets string (`main`'s second argument). */
  secrets?: Record<string, string> | string | undefined
  /** Hosts fetch may reach even on a private address (`--allow-host`). */
  allowHosts?: string[] | undefined
  /**
   * Answer every fetch from these instead of the network (`--mock`): checked as a mock file is (an `HttpMockError`
   * names the bad entry and field), and counted and limited as real fetches are.
   */
  mocks?: HttpMock[] | undefined
  /** Wall-clock deadline; default 10 s. */
  timeoutMs?: number | undefined
  /** Memory limit; default 64 MiB. */
  memoryMiB?: number | undefined
  /** Run a source written for another platform, unmodified (`chainlink`, `phat`: see `teefn run --compat`). */
  compat?: CompatMode | undefined
  /** With `compat: 'chainlink'`: the `args` and `bytesArgs` globals (they replace `request`). */
  args?: string[] | undefined
  bytesArgs?: string[] | undefined
  /** With `compat: 'lit'`: the action's jsParams (they replace `request`); its signatures are in `compat.signatures`. */
  jsParams?: Record<string, unknown> | undefined
  /** The function key `deriveSecret` and Lit's keys derive from (32 bytes); default for `lit`: random per run. */
  devKey?: Uint8Array | undefined
  /**
   * With `compat: 'gelato'`: `context.userArgs`, the storage before the run (the one after it is the report's
   * `compat.storage`), the chains' JSON-RPC URLs, `gelatoArgs` and the RPC calls allowed. It replaces `request`.
   */
  gelato?: GelatoRunInput | undefined
}

export type RunFunctionReturnType = RunReport

/**
 * Runs a function once in the QuickJS sandbox, as `teefn run --json` does, and resolves with the same report: a
 * function that throws resolves with `ok: false` and its error. For a function's own tests.
 *
 * @example
 * import { runFunction } from 'teefn/testing'
 * const report = await runFunction({
 *   entry: 'src/index.ts',
 *   request: 'https://api.example.com/price',
 *   mocks: [{ request: { url: 'https://api.example.com/price' }, response: { json: { price: 3000.5 } } }],
 * })
 */
export async function runFunction(parameters: RunFunctionParameters): Promise<RunFunctionReturnType> {
  const { entry } = parameters
  const httpMocks = parameters.mocks === undefined ? undefined : parseHttpMocks(parameters.mocks)
  const limits: Partial<SandboxLimits> = {}
  if (parameters.timeoutMs !== undefined) limits.timeoutMs = parameters.timeoutMs
  if (parameters.memoryMiB !== undefined) limits.memoryBytes = parameters.memoryMiB * 1024 * 1024
  const source = await readFile(entry)
  const pool = createSandboxPool({ threads: 1 })
  pool.catch(() => {}) // a thread that fails to start is reported where the pool is awaited
  try {
    const ran = await runFunctionOnce({
      file: entry,
      source,
      request: requestOf(parameters),
      secrets: secretsOf(parameters),
      allowHosts: parameters.allowHosts ?? [],
      httpMocks,
      limits,
      compat: parameters.compat,
      functionKey: parameters.devKey,
      pool,
    })
    return ran.report
  } finally {
    await closeSandboxPool(pool)
  }
}

/**
 * Chainlink's globals travel as the request `{ args, bytesArgs }`, as `teefn run --args` sends them; Lit's jsParams as
 * the request's JSON, as `teefn run --js-params`; Gelato's context as `teefn run --user-args/--storage/--rpc` sends it.
 */
function requestOf({ request, compat, args, bytesArgs, jsParams, gelato }: RunFunctionParameters): string {
  if (compat === 'lit' && jsParams !== undefined) return JSON.stringify(jsParams)
  if (compat === 'gelato' && gelato !== undefined) return gelatoRequestText(gelato)
  if (compat !== 'chainlink' || (args === undefined && bytesArgs === undefined)) return request ?? ''
  return JSON.stringify({ args: args ?? [], bytesArgs: bytesArgs ?? [] })
}

/** Phat's secrets string travels as the teefn secret `phatSecrets`, as `teefn run --compat phat --secrets` sends it. */
function secretsOf({ secrets, compat }: RunFunctionParameters): Record<string, string> {
  if (typeof secrets === 'string') {
    if (compat !== 'phat') throw new TypeError("runFunction: secrets is a string only with compat: 'phat'")
    return { [phatSecretsKey]: secrets }
  }
  return secrets ?? {}
}
