import { randomUUID } from 'node:crypto'
import { extname } from 'node:path'
import { bytesToHex } from '@noble/hashes/utils'
import { Command, InvalidArgumentError } from 'commander'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { computeCodeHash } from '../../runtime/functions/computeCodeHash.js'
import { parseAllowHost } from '../../runtime/http/parseAllowHost.js'
import {
  createSandboxPool,
  type InvocationOutcome,
  LimitExceedsMaximumError,
  type SandboxLimits,
} from '../../runtime/sandbox/index.js'
import { BundleError, bundleFunction } from '../build/bundleFunction.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

type RunOptions = {
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
export function runCommand(): Command {
  return new Command('run')
    .description('Run a function once in the QuickJS sandbox and print its logs and result.')
    .argument('<file>', 'the function (.ts or .js); it is bundled first when it imports anything')
    .option('--request <string>', 'the request string passed to main (default: empty)')
    .option('--request-file <path>', 'read the request string from a file')
    .option('--secrets <json>', 'secrets passed to main, as a JSON object of strings')
    .option(
      '--allow-host <host[:port]>',
      'let fetch reach this host even on a private address (repeatable)',
      collect,
      [],
    )
    .option('--timeout <ms>', 'wall-clock deadline in milliseconds (default 10000)', positiveInteger)
    .option('--memory <MiB>', 'memory limit in MiB (default 64)', positiveInteger)
    .option('--json', 'print one JSON object')
    .action(async (file: string, options: RunOptions) => {
      const request = await readRequest(options)
      const secrets = parseSecrets(options.secrets)
      for (const entry of options.allowHost) checkAllowHost(entry)
      const limits: Partial<SandboxLimits> = {}
      if (options.timeout !== undefined) limits.timeoutMs = options.timeout
      if (options.memory !== undefined) limits.memoryBytes = options.memory * 1024 * 1024

      const source = await readInputFile(file, 'function')
      const report = await runOnce({ file, source, request, secrets, allowHosts: options.allowHost, limits })
      if (options.json) printJson(report)
      else printReadably(report)
      process.exitCode = report.ok ? exitCodes.ok : exitCodes.failed
    })
}

type RunOnceParameters = {
  file: string
  source: Buffer
  request: string
  secrets: Record<string, string>
  allowHosts: string[]
  limits: Partial<SandboxLimits>
}

async function runOnce({
  file,
  source,
  request,
  secrets,
  allowHosts,
  limits,
}: RunOnceParameters): Promise<RunReport> {
  let code: string
  let codeHash: string
  try {
    const bundle = await bundleFunction({ entry: file })
    // A self-contained .js file runs byte for byte, so its codeHash is the one `teefn build` and deploy report.
    const runAsIs = bundle.importedFiles === 0 && ['.js', '.mjs'].includes(extname(file))
    code = runAsIs ? source.toString('utf8') : bundle.code
    codeHash = runAsIs ? computeCodeHash(source) : bundle.codeHash
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
  const pool = await createSandboxPool({ threads: 1 })
  try {
    const outcome = await pool.invoke({
      code,
      request,
      secrets,
      allowHosts,
      limits,
      context: { requestId: `cli-${randomUUID()}`, trigger: 'cli', codeHash },
    })
    return toReport(outcome)
  } catch (error) {
    if (error instanceof LimitExceedsMaximumError) throw new UsageError(error.shortMessage, error.details)
    throw error
  } finally {
    await pool.close()
  }
}

function toReport(outcome: InvocationOutcome): RunReport {
  const result = outcome.result instanceof Uint8Array ? `0x${bytesToHex(outcome.result)}` : outcome.result
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function positiveInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number')
  return parsed
}
