import { randomUUID } from 'node:crypto'
import { extname } from 'node:path'
import { bytesToHex } from '../../runtime/bytes.js'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { parseAllowHost } from '../../runtime/http/parseAllowHost.js'
import {
  createSandboxPool,
  type InvocationOutcome,
  LimitExceedsMaximumError,
  type SandboxLimits,
  type SandboxPool,
} from '../../runtime/sandbox/index.js'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { maxBundleBytes } from '../../runtime/store/limits.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

export type RunOptions = {
  request?: string
  requestFile?: string
  secrets?: string
  allowHost: string[]
  timeout?: number
  memory?: number
  json?: boolean
}

/** What `teefn run --json` prints: exactly one object. */
export type RunReport = {
  ok: boolean
  /** A string result as is; a Uint8Array as 0x-hex. */
  result: string | null
  error: { code: string; message: string } | null
  logs: { level: string; message: string }[]
  stats: { durationMs: number; fetches: number }
}

/** `teefn run <file>`: runs a function once in the sandbox, as a worker would, and prints what it did. */
export async function runAction(file: string, options: RunOptions): Promise<void> {
  const request = await readRequest(options)
  const secrets = parseSecrets(options.secrets)
  for (const entry of options.allowHost) checkAllowHost(entry)
  const limits: Partial<SandboxLimits> = {}
  if (options.timeout !== undefined) limits.timeoutMs = options.timeout
  if (options.memory !== undefined) limits.memoryBytes = options.memory * 1024 * 1024

  const source = await readInputFile(file, 'function')
  // The sandbox thread starts now, while the file is bundled if it must be: each takes tens of milliseconds.
  const pool = createSandboxPool({ threads: 1 })
  pool.catch(() => {}) // a thread that fails to start is reported where the pool is awaited
  let report: RunReport
  try {
    report = await runOnce({ file, source, request, secrets, allowHosts: options.allowHost, limits, pool })
  } finally {
    await closePool(pool)
  }
  if (options.json) printJson(report)
  else printReadably(report)
  process.exitCode = report.ok ? exitCodes.ok : exitCodes.failed
}

type RunOnceParameters = {
  file: string
  source: Buffer
  request: string
  secrets: Record<string, string>
  allowHosts: string[]
  limits: Partial<SandboxLimits>
  /** A pool of one sandbox thread, started before the file is looked at. */
  pool: Promise<SandboxPool>
}

type Runnable = { code: string; codeHash: string }

/**
 * Runs the file once. A self-contained .js file runs byte for byte (so its codeHash is the one `teefn build`
 * and deploy report), and one that plainly imports nothing runs without asking esbuild first: loading and
 * starting esbuild would take longer than the run. esbuild is asked when the file imports something, or when
 * the sandbox refuses to load it (its diagnostics are the ones reported then, as for any other file).
 */
async function runOnce(parameters: RunOnceParameters): Promise<RunReport> {
  const { file, source } = parameters
  if (!mayRunAsIs(file, source)) return runBundled(parameters)
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
  return toReport(outcome)
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
  parameters: RunOnceParameters,
  asIsOutcome?: InvocationOutcome,
): Promise<RunReport> {
  const { file, source } = parameters
  // Loaded here: esbuild takes longer to load and start than a trivial function takes to run.
  const { BundleError, bundleFunction } = await import('../build/bundleFunction.js')
  let runnable: Runnable
  try {
    const bundle = await bundleFunction({ entry: file })
    const runAsIs = bundle.importedFiles === 0 && ['.js', '.mjs'].includes(extname(file))
    if (runAsIs && asIsOutcome) return toReport(asIsOutcome)
    runnable = runAsIs
      ? { code: source.toString('utf8'), codeHash: computeCodeHash(source) }
      : { code: bundle.code, codeHash: bundle.codeHash }
  } catch (error) {
    if (!(error instanceof BundleError)) throw error
    return {
      ok: false,
      result: null,
      error: {
        code: error.reason === 'no-default-export' ? 'NO_MAIN' : 'SYNTAX_ERROR',
        message: error.message,
      },
      logs: [],
      stats: { durationMs: 0, fetches: 0 },
    }
  }
  try {
    return toReport(await invokeOnce(runnable, parameters))
  } catch (error) {
    if (error instanceof LimitExceedsMaximumError) throw new UsageError(error.shortMessage, error.details)
    throw error
  }
}

/** One invocation in the pool. */
async function invokeOnce(
  { code, codeHash }: Runnable,
  { request, secrets, allowHosts, limits, pool }: RunOnceParameters,
): Promise<InvocationOutcome> {
  return (await pool).invoke({
    code,
    request,
    secrets,
    allowHosts,
    limits,
    context: { requestId: `cli-${randomUUID()}`, trigger: 'cli', codeHash },
  })
}

async function closePool(pool: Promise<SandboxPool>): Promise<void> {
  try {
    await (await pool).close()
  } catch {
    // It never started: nothing to close (runOnce has thrown why).
  }
}

function toReport(outcome: InvocationOutcome): RunReport {
  const result = outcome.result instanceof Uint8Array ? bytesToHex(outcome.result) : outcome.result
  return {
    ok: outcome.ok,
    result,
    error: outcome.error,
    logs: outcome.logs,
    stats: { durationMs: Math.round(outcome.stats.durationMs * 1000) / 1000, fetches: outcome.stats.fetches },
  }
}

function printReadably(report: RunReport): void {
  const out = process.stdout
  for (const { level, message } of report.logs) out.write(`[${level}] ${message}\n`)
  if (report.ok) out.write(`${report.result}\n`)
  else out.write(`${report.error?.code}: ${report.error?.message}\n`)
  out.write(
    `(${report.stats.durationMs.toFixed(1)} ms, ${report.stats.fetches} fetch${report.stats.fetches === 1 ? '' : 'es'})\n`,
  )
}

async function readRequest(options: RunOptions): Promise<string> {
  if (options.request !== undefined && options.requestFile !== undefined) {
    throw new UsageError('--request and --request-file cannot be used together', 'pass one of them')
  }
  if (options.requestFile !== undefined)
    return (await readInputFile(options.requestFile, 'request')).toString('utf8')
  return options.request ?? ''
}

function parseSecrets(json: string | undefined): Record<string, string> {
  if (json === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new UsageError(
      '--secrets is not valid JSON',
      'pass an object of strings, e.g. --secrets \'{"API_KEY":"..."}\'',
    )
  }
  const isStringRecord =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  if (!isStringRecord) {
    throw new UsageError(
      '--secrets must be a JSON object whose values are strings',
      'e.g. --secrets \'{"API_KEY":"..."}\'',
    )
  }
  return value as Record<string, string>
}

function checkAllowHost(entry: string): void {
  try {
    parseAllowHost(entry)
  } catch (error) {
    throw new UsageError(
      `--allow-host ${entry}: ${error instanceof BaseError ? error.shortMessage : String(error)}`,
    )
  }
}
