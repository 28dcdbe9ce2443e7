import { randomBytes, randomUUID } from 'node:crypto'
import { extname, relative, resolve } from 'node:path'
import { bytesToHex } from '../../runtime/bytes.js'
import { type CompatMode, compatModeOf } from '../../runtime/compat/compatMode.js'
import type { HttpMock } from '../../runtime/http/parseHttpMocks.js'
import {
  type InvocationOutcome,
  LimitExceedsMaximumError,
  type SandboxLimits,
  type SandboxPool,
} from '../../runtime/sandbox/index.js'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { maxBundleBytes } from '../../runtime/store/limits.js'
import { UsageError } from '../UsageError.js'

/** What `teefn run --json` prints: exactly one object (one per run with `--watch`). */
export type RunReport = {
  ok: boolean
  /** A string result as is; a Uint8Array as 0x-hex. */
  result: string | null
  /**
   * `message` names source positions (`src/index.ts:12:9`), mapped back from the bundle's; `limit` names the
   * limit that was hit (`resultBytes`, `timeoutMs`, `memoryBytes`, or a compat mode's own, such as Gelato's
   * `rpcCalls`), when one was.
   */
  error: { code: string; message: string; limit?: RunReportLimit } | null
  logs: { level: string; message: string }[]
  stats: { durationMs: number; fetches: number }
  /** A compat mode's side outputs (Gelato's `storage`, Lit's `signatures`), when it reported any. */
  compat?: Record<string, unknown>
}

export type RunFunctionOnceParameters = {
  file: string
  source: Buffer
  request: string
  secrets: Record<string, string>
  allowHosts: string[]
  /** Answer every fetch from these instead of the network (`--mock`). */
  httpMocks?: HttpMock[] | undefined
  limits: Partial<SandboxLimits>
  /** Build the file in this compat mode (`--compat`); it is always bundled then. */
  compat?: CompatMode | undefined
  /**
   * The function key `deriveSecret` (and Lit's keys, Phat's `pink.deriveSecret`) derive from (`--dev-key`). Without
   * it, a `lit` or `phat` bundle gets a random one per run, and other functions none (deriveSecret throws, as
   * outside an enclave).
   */
  functionKey?: Uint8Array | undefined
  /** A pool of one sandbox thread, started before the file is looked at. */
  pool: Promise<SandboxPool>
}

export type RunFunctionOnceReturnType = {
  report: RunReport
  /** Absolute paths of the files the run read (the entry and what it imports): what `--watch` watches. */
  inputs: string[]
}

/** A sandbox limit, or a mode's own (Phat's `batchRequests`, Gelato's `rpcCalls` and `storageBytes`). */
export type RunReportLimit = keyof SandboxLimits | (string & {})

/** The limit behind each error code that is one limit's. */
const limitOfCode: Partial<Record<string, keyof SandboxLimits>> = {
  TIMEOUT: 'timeoutMs',
  MEMORY_LIMIT: 'memoryBytes',
  STACK_OVERFLOW: 'stackBytes',
  RESULT_TOO_LARGE: 'resultBytes',
}

type Runnable = { code: string; codeHash: string; sourceMap?: string | undefined }

/**
 * Runs the file once. A self-contained .js file runs byte for byte (so its codeHash is the one `teefn build`
 * and deploy report), and one that plainly imports nothing runs without asking esbuild first: loading and
 * starting esbuild would take longer than the run. esbuild is asked when the file imports something, or when
 * the sandbox refuses to load it (its diagnostics are the ones reported then, as for any other file).
 */
export async function runFunctionOnce(given: RunFunctionOnceParameters): Promise<RunFunctionOnceReturnType> {
  const { file, source } = given
  // A bundle already built in the mode (its first line names it) runs as it is, not wrapped again.
  const built = given.compat !== undefined && compatModeOf(source.toString('utf8')) === given.compat
  const parameters = built ? { ...given, compat: undefined } : given
  if (parameters.compat !== undefined || !mayRunAsIs(file, source)) return runBundled(parameters)
  let outcome: InvocationOutcome
  try {
    outcome = await invokeOnce(
      { code: source.toString('utf8'), codeHash: computeCodeHash(source) },
      parameters,
    )
  } catch (error) {
    // A file that does not bundle is reported before a limit over the maximum, as without the shortcut.
    if (error instanceof LimitExceedsMaximumError) return runBundled(parameters)
    throw error
  }
  if (!outcome.ok && (outcome.error.code === 'SYNTAX_ERROR' || outcome.error.code === 'NO_MAIN')) {
    return runBundled(parameters, outcome)
  }
  return { report: toReport(outcome, file), inputs: [resolve(file)] }
}

/**
 * Whether a file may run before esbuild sees it: a .js or .mjs file well under the bundle limit that names a
 * default export and no `import`, `require` or `export ... from`. Conservative: such a word in a comment or a
 * string only sends the file to esbuild.
 */
function mayRunAsIs(file: string, source: Buffer): boolean {
  if (!['.js', '.mjs'].includes(extname(file)) || source.byteLength > maxBundleBytes / 2) return false
  const text = source.toString('utf8')
  return (
    /\bdefault\b/.test(text) && !/\bimport\b|\brequire\b|\bexport\s*(?:\*|\{[^}]*\})[^;]*?\bfrom\b/.test(text)
  )
}

/**
 * Bundles the file with esbuild (a bundle error is the run's report) and runs the bundle, or the file as is when
 * it imports nothing; `asIsOutcome` is what running it as is already gave.
 */
async function runBundled(
  parameters: RunFunctionOnceParameters,
  asIsOutcome?: InvocationOutcome,
): Promise<RunFunctionOnceReturnType> {
  const { file, source } = parameters
  // Loaded here: esbuild takes longer to load and start than a trivial function takes to run.
  const { BundleError, bundleFunction } = await import('../build/bundleFunction.js')
  let runnable: Runnable
  let inputs = [resolve(file)]
  try {
    const bundle = await bundleFunction({ entry: file, compat: parameters.compat })
    inputs = bundle.inputs
    const runAsIs =
      parameters.compat === undefined && bundle.importedFiles === 0 && ['.js', '.mjs'].includes(extname(file))
    if (runAsIs && asIsOutcome) return { report: toReport(asIsOutcome, file), inputs }
    runnable = runAsIs
      ? { code: source.toString('utf8'), codeHash: computeCodeHash(source) }
      : { code: bundle.code, codeHash: bundle.codeHash, sourceMap: bundle.sourceMap }
  } catch (error) {
    if (!(error instanceof BundleError)) throw error
    const report: RunReport = {
      ok: false,
      result: null,
      error: {
        code: error.reason === 'no-default-export' ? 'NO_MAIN' : 'SYNTAX_ERROR',
        message: error.message,
      },
      logs: [],
      stats: { durationMs: 0, fetches: 0 },
    }
    return { report, inputs }
  }
  try {
    const outcome = await invokeOnce(runnable, parameters)
    const { sourceMap } = runnable
    if (outcome.ok || sourceMap === undefined) return { report: toReport(outcome, file), inputs }
    // Loaded only for an error to map: the source map library is not needed otherwise.
    const { mapBundleLocations } = await import('./mapBundleLocations.js')
    return { report: toReport(outcome, file, (text) => mapBundleLocations({ text, sourceMap })), inputs }
  } catch (error) {
    if (error instanceof LimitExceedsMaximumError) throw new UsageError(error.shortMessage, error.details)
    throw error
  }
}

/** Modes whose own APIs derive keys (Lit's, Phat's `pink.deriveSecret`): without `--dev-key`, a random one per run. */
const randomKeyModes = new Set<string | undefined>(['lit', 'phat'])

/** One invocation in the pool. */
async function invokeOnce(
  { code, codeHash }: Runnable,
  { request, secrets, allowHosts, httpMocks, limits, pool, functionKey }: RunFunctionOnceParameters,
): Promise<InvocationOutcome> {
  return (await pool).invoke({
    code,
    functionKey:
      functionKey ?? (randomKeyModes.has(compatModeOf(code)) ? new Uint8Array(randomBytes(32)) : undefined),
    request,
    secrets,
    allowHosts,
    httpMocks,
    limits,
    context: { requestId: `cli-${randomUUID()}`, trigger: 'cli', codeHash },
  })
}

/**
 * The report of an outcome. An error's positions name the source: `mapLocations` (the bundle's source map) for a
 * bundle, the file itself for a file that ran as is (the sandbox calls every module `function.js`).
 */
function toReport(
  outcome: InvocationOutcome,
  file: string,
  mapLocations: (text: string) => string = (text) =>
    text.replace(/\bfunction\.js:(?=\d+:\d+\b)/g, `${relative(process.cwd(), resolve(file))}:`),
): RunReport {
  const result = outcome.result instanceof Uint8Array ? bytesToHex(outcome.result) : outcome.result
  // A compat runtime names the mode's own limit it failed on in its side output `limit`.
  const { limit: compatLimit, ...compat } = outcome.compat ?? {}
  const limit =
    outcome.error &&
    (limitOfCode[outcome.error.code] ??
      (typeof compatLimit === 'string' ? compatLimit : undefined) ??
      outcome.error.limit)
  const error = outcome.error && {
    ...outcome.error,
    message: mapLocations(outcome.error.message),
    ...(limit ? { limit } : {}),
  }
  return {
    ok: outcome.ok,
    result,
    error,
    logs: outcome.logs,
    stats: { durationMs: Math.round(outcome.stats.durationMs * 1000) / 1000, fetches: outcome.stats.fetches },
    ...(Object.keys(compat).length > 0 ? { compat } : {}),
  }
}
