import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { phatSecretsKey } from '../../runtime/compat/phat/phatSecretsKey.js'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { parseAllowHost } from '../../runtime/http/parseAllowHost.js'
import { createSandboxPool, type SandboxLimits } from '../../runtime/sandbox/index.js'
import { exitCodes } from '../exitCodes.js'
import { readInputFile } from '../readInputFile.js'
import { closeSandboxPool } from '../run/closeSandboxPool.js'
import {
  type GelatoRunOptions,
  gelatoRunRequest,
  hasGelatoOptions,
  writeGelatoStorage,
} from '../run/gelatoRunRequest.js'
import { printRunReport } from '../run/printRunReport.js'
import { runFunctionOnce } from '../run/runFunctionOnce.js'
import { UsageError } from '../UsageError.js'

export type RunOptions = GelatoRunOptions & {
  request?: string
  requestFile?: string
  secrets?: string
  allowHost: string[]
  mock?: string
  timeout?: number
  memory?: number
  maxFetches?: number
  resultBytes?: number
  compat?: CompatMode
  args?: string
  bytesArgs?: string
  jsParams?: string
  devKey?: string
  json?: boolean
  watch?: boolean
}

/**
 * `teefn run <file>`: runs a function once in the sandbox, as a worker would, and prints what it did; with
 * `--watch`, again whenever a file it is built from changes, until Ctrl-C.
 */
export async function runAction(file: string, options: RunOptions): Promise<void> {
  const request = await readRequest(file, options)
  // Phat's secrets are one string (main's second argument), kept as the teefn secret `phatSecrets`.
  const secrets =
    options.compat === 'phat' && options.secrets !== undefined
      ? { [phatSecretsKey]: options.secrets }
      : parseSecrets(options.secrets)
  for (const entry of options.allowHost) checkAllowHost(entry)
  const limits: Partial<SandboxLimits> = {}
  if (options.timeout !== undefined) limits.timeoutMs = options.timeout
  if (options.memory !== undefined) limits.memoryBytes = options.memory * 1024 * 1024
  if (options.maxFetches !== undefined) limits.maxFetches = options.maxFetches
  if (options.resultBytes !== undefined) limits.resultBytes = options.resultBytes
  const { compat } = options
  const allowHosts = options.allowHost
  const json = options.json ?? false
  const functionKey = parseDevKey(options.devKey)

  if (options.watch) {
    if (file === '-') throw new UsageError('--watch needs a file to watch, not stdin', 'name the entry file')
    const { watchRun } = await import('../run/watchRun.js')
    await watchRun({
      file,
      request,
      secrets,
      allowHosts,
      mockFile: options.mock,
      limits,
      json,
      compat,
      functionKey,
    })
    return
  }
  // Loaded only with --mock: most runs have none.
  const httpMocks =
    options.mock === undefined
      ? undefined
      : await (await import('../run/readHttpMocks.js')).readHttpMocks(options.mock)
  const source = await readInputFile(file, 'function')
  // The sandbox thread starts now, while the file is bundled if it must be: each takes tens of milliseconds.
  const pool = createSandboxPool({ threads: 1 })
  pool.catch(() => {}) // a thread that fails to start is reported where the pool is awaited
  let ran: Awaited<ReturnType<typeof runFunctionOnce>>
  try {
    ran = await runFunctionOnce({
      file,
      source,
      request,
      secrets,
      allowHosts,
      httpMocks,
      limits,
      compat,
      functionKey,
      pool,
    })
  } finally {
    await closeSandboxPool(pool)
  }
  printRunReport(ran.report, { json })
  if (options.storage !== undefined && ran.report.ok && ran.report.compat?.storage !== undefined) {
    await writeGelatoStorage(options.storage, ran.report.compat.storage)
  }
  process.exitCode = ran.report.ok ? exitCodes.ok : exitCodes.failed
}

async function readRequest(file: string, options: RunOptions): Promise<string> {
  if (options.jsParams !== undefined) return readJsParams(options)
  if (hasGelatoOptions(options)) {
    if (options.compat !== 'gelato')
      throw new UsageError(
        '--user-args, --storage, --rpc, --chain-id, --gas-price and --rpc-calls need --compat gelato',
      )
    if (options.request !== undefined || options.requestFile !== undefined)
      throw new UsageError('the --compat gelato flags replace --request', 'pass one or the other')
    return gelatoRunRequest(file, options)
  }
  if (options.args !== undefined || options.bytesArgs !== undefined) {
    if (options.compat !== 'chainlink')
      throw new UsageError('--args and --bytes-args need --compat chainlink', 'add --compat chainlink')
    if (options.request !== undefined || options.requestFile !== undefined)
      throw new UsageError('--args and --bytes-args replace --request', 'pass one or the other')
    // The request a `--compat chainlink` function reads its globals from (runChainlinkSource).
    return JSON.stringify({
      args: parseStrings('--args', options.args),
      bytesArgs: parseStrings('--bytes-args', options.bytesArgs),
    })
  }
  if (options.request !== undefined && options.requestFile !== undefined) {
    throw new UsageError('--request and --request-file cannot be used together', 'pass one of them')
  }
  if (options.requestFile !== undefined)
    return (await readInputFile(options.requestFile, 'request')).toString('utf8')
  return options.request ?? ''
}

/** `--js-params`: the request a `--compat lit` function reads its jsParams from (runLitAction). */
function readJsParams(options: RunOptions): string {
  if (options.compat !== 'lit') throw new UsageError('--js-params needs --compat lit', 'add --compat lit')
  if (options.request !== undefined || options.requestFile !== undefined)
    throw new UsageError('--js-params replaces --request', 'pass one or the other')
  let value: unknown
  try {
    value = JSON.parse(options.jsParams ?? '')
  } catch {
    throw new UsageError(
      '--js-params is not valid JSON',
      'pass an object, e.g. --js-params \'{"sigName":"sig1"}\'',
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError('--js-params must be a JSON object', 'e.g. --js-params \'{"sigName":"sig1"}\'')
  return JSON.stringify(value)
}

/** `--dev-key`: a function key for local runs, so deriveSecret and Lit's keys work; never an enclave's key. */
function parseDevKey(hex: string | undefined): Uint8Array | undefined {
  if (hex === undefined) return undefined
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new UsageError('--dev-key must be 32 bytes of 0x-hex', 'e.g. --dev-key 0x$(openssl rand -hex 32)')
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}

function parseStrings(flag: string, json: string | undefined): string[] {
  if (json === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new UsageError(`${flag} is not valid JSON`, `pass an array of strings, e.g. ${flag} '["a","b"]'`)
  }
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))
    throw new UsageError(`${flag} must be a JSON array of strings`, `e.g. ${flag} '["a","b"]'`)
  return value
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
