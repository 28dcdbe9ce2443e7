import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { UsageError } from '../UsageError.js'
import { checkGelatoUserArgs } from './checkGelatoUserArgs.js'

/** `teefn run --compat gelato`'s own flags. */
export type GelatoRunOptions = {
  /** `context.userArgs`: a JSON object, or a file holding one (Gelato's `userArgs.json`). */
  userArgs?: string | undefined
  /** Gelato's `storage.json`: read before the run, written back after a successful one. */
  storage?: string | undefined
  /** `url` for the default chain, `chainId=url` for another (repeatable). */
  rpc?: string[] | undefined
  chainId?: number | undefined
  /** Wei, decimal. */
  gasPrice?: string | undefined
  /** RPC calls per run (Gelato's free plan: 5). */
  rpcCalls?: number | undefined
}

/** Whether any Gelato flag was given. */
export function hasGelatoOptions(options: GelatoRunOptions): boolean {
  const { userArgs, storage, rpc = [], chainId, gasPrice, rpcCalls } = options
  return (
    [userArgs, storage, chainId, gasPrice, rpcCalls].some((value) => value !== undefined) || rpc.length > 0
  )
}

/** What a `--compat gelato` run is given, parsed: the fields of its request (`parseGelatoRequest`). */
export type GelatoRunInput = {
  userArgs?: Record<string, unknown> | undefined
  /** The storage before the run; after it, the report's `compat.storage`. */
  storage?: Record<string, string> | undefined
  /** The default chain's JSON-RPC URL. */
  rpcUrl?: string | undefined
  /** Other chains' JSON-RPC URLs by chain id. */
  rpcUrls?: Record<string, string> | undefined
  /** `gelatoArgs.chainId`; asked of `rpcUrl` by default. */
  chainId?: number | undefined
  /** `gelatoArgs.gasPrice` in wei; asked of `rpcUrl` by default. */
  gasPrice?: string | undefined
  /** RPC calls per run (Gelato's free plan: 5). */
  rpcCalls?: number | undefined
}

/** The request text of a `--compat gelato` run (what `parseGelatoRequest` reads in the sandbox). */
export function gelatoRequestText(input: GelatoRunInput): string {
  const { userArgs, storage, rpcUrl, rpcUrls, chainId, gasPrice, rpcCalls } = input
  const gelatoArgs = {
    ...(chainId === undefined ? {} : { chainId }),
    ...(gasPrice === undefined ? {} : { gasPrice }),
  }
  return JSON.stringify({
    ...(userArgs === undefined ? {} : { userArgs }),
    ...(storage === undefined ? {} : { storage }),
    ...(Object.keys(gelatoArgs).length === 0 ? {} : { gelatoArgs }),
    ...(rpcUrl === undefined ? {} : { rpcUrl }),
    ...(rpcUrls === undefined ? {} : { rpcUrls }),
    ...(rpcCalls === undefined ? {} : { limits: { rpcCalls } }),
  })
}

/**
 * The request of `teefn run --compat gelato`, from its flags; `userArgs` are checked against the `schema.json`
 * beside `entry`, if any. A missing storage file is an empty storage (the run creates it).
 */
export async function gelatoRunRequest(entry: string, options: GelatoRunOptions): Promise<string> {
  if (options.gasPrice !== undefined && !/^[0-9]+$/.test(options.gasPrice))
    throw new UsageError('--gas-price must be a whole number of wei', 'e.g. --gas-price 1000000000')
  let rpcUrl: string | undefined
  const rpcUrls: Record<string, string> = {}
  for (const entry of options.rpc ?? []) {
    const match = /^(\d+)=(.+)$/.exec(entry)
    if (match) rpcUrls[match[1]!] = checkUrl(match[2]!)
    else if (rpcUrl === undefined) rpcUrl = checkUrl(entry)
    else
      throw new UsageError(
        '--rpc names the default chain twice',
        'give other chains as --rpc <chainId>=<url>',
      )
  }
  const userArgs = options.userArgs === undefined ? undefined : await readUserArgs(options.userArgs)
  await checkGelatoUserArgs(entry, userArgs ?? {})
  return gelatoRequestText({
    userArgs,
    storage: options.storage === undefined ? undefined : await readStorage(options.storage),
    rpcUrl,
    rpcUrls: Object.keys(rpcUrls).length === 0 ? undefined : rpcUrls,
    chainId: options.chainId,
    gasPrice: options.gasPrice,
    rpcCalls: options.rpcCalls,
  })
}

/** After a successful run, the storage it reported (`compat.storage`) goes back to the `--storage` file. */
export async function writeGelatoStorage(file: string, storage: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(storage, null, 2)}\n`)
}

async function readUserArgs(value: string): Promise<Record<string, unknown>> {
  const text = value.trimStart().startsWith('{') ? value : await readText(value, '--user-args')
  const parsed = parseJson(text, '--user-args')
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--user-args must be a JSON object', 'e.g. --user-args \'{"oracle":"0x..."}\'')
  return parsed as Record<string, unknown>
}

async function readStorage(file: string): Promise<Record<string, string>> {
  if (!existsSync(file)) return {}
  const parsed = parseJson(await readText(file, '--storage'), '--storage')
  const isStrings =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((entry) => typeof entry === 'string')
  if (!isStrings)
    throw new UsageError(
      `--storage ${file} must hold a JSON object of strings`,
      'e.g. { "lastRun": "1700000000" }',
    )
  return parsed as Record<string, string>
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    )
  }
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${flag} is not valid JSON`)
  }
}

function checkUrl(url: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw new UsageError(`--rpc ${url} is not an http(s) URL`, 'e.g. --rpc http://127.0.0.1:8545')
  return url
}
