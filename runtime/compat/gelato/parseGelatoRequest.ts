import { requestText } from '../requestText.js'
import { type GelatoLimits, gelatoDefaultLimits } from './gelatoLimits.js'

/** What a `--compat gelato` function's request carries: the JSON `teefn run --user-args/--storage/--rpc` sends. */
export type GelatoRequest = {
  /** `context.userArgs`. */
  userArgs: Record<string, unknown>
  /** The storage before the run. */
  storage: Record<string, string>
  /** `context.gelatoArgs`; what is missing is asked of the default chain's RPC (or Gelato's `w3f test` defaults). */
  gelatoArgs: { chainId?: number | undefined; gasPrice?: string | undefined; taskId?: string | undefined }
  /** The default chain's JSON-RPC URL (`multiChainProvider.default()`). */
  rpcUrl?: string | undefined
  /** Other chains' JSON-RPC URLs by chain id (`multiChainProvider.chainId(id)`). */
  rpcUrls: Record<string, string>
  limits: GelatoLimits
  /** For an event-triggered function, the log that triggered it (`context.log`), in ethers v5's shape. */
  log?: unknown
}

/**
 * Reads the request of a `--compat gelato` function: JSON text, its UTF-8 bytes as 0x-hex (an on-chain payload),
 * or empty. Throws a plain `Error` naming the field that is wrong.
 */
export function parseGelatoRequest(request: string): GelatoRequest {
  const value = request === '' ? {} : parseJson(request)
  if (!isRecord(value)) throw new Error('A --compat gelato request must be a JSON object')
  const { userArgs = {}, storage = {}, gelatoArgs = {}, rpcUrl, rpcUrls = {}, limits = {}, log } = value
  if (!isRecord(userArgs)) throw new Error('The request\'s "userArgs" must be an object')
  if (!isStringRecord(storage)) throw new Error('The request\'s "storage" must be an object of strings')
  if (!isStringRecord(rpcUrls)) throw new Error('The request\'s "rpcUrls" must map chain ids to URLs')
  if (rpcUrl !== undefined && typeof rpcUrl !== 'string')
    throw new Error('The request\'s "rpcUrl" must be a URL')
  if (!isRecord(gelatoArgs)) throw new Error('The request\'s "gelatoArgs" must be an object')
  const { chainId, gasPrice, taskId } = gelatoArgs
  if (chainId !== undefined && !(Number.isSafeInteger(chainId) && (chainId as number) > 0))
    throw new Error('gelatoArgs.chainId must be a positive integer')
  if (gasPrice !== undefined && !(typeof gasPrice === 'string' && /^[0-9]+$/.test(gasPrice)))
    throw new Error('gelatoArgs.gasPrice must be a decimal string of wei')
  if (taskId !== undefined && typeof taskId !== 'string')
    throw new Error('gelatoArgs.taskId must be a string')
  return {
    userArgs,
    storage: { ...storage },
    gelatoArgs: { chainId: chainId as number | undefined, gasPrice, taskId },
    rpcUrl,
    rpcUrls,
    limits: parseLimits(limits),
    ...(log === undefined ? {} : { log }),
  }
}

function parseLimits(limits: unknown): GelatoLimits {
  if (!isRecord(limits)) throw new Error('The request\'s "limits" must be an object')
  const parsed = { ...gelatoDefaultLimits }
  for (const name of Object.keys(gelatoDefaultLimits) as (keyof GelatoLimits)[]) {
    const value = limits[name]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || (value as number) <= 0)
      throw new Error(`limits.${name} must be a positive integer`)
    parsed[name] = value as number
  }
  if (parsed.storageBytes > gelatoDefaultLimits.storageBytes)
    throw new Error(
      `limits.storageBytes may be at most ${gelatoDefaultLimits.storageBytes}: teefn carries no more storage back`,
    )
  return parsed
}

function parseJson(request: string): unknown {
  const text = requestText(request)
  // An on-chain request without a payload is `0x`: no arguments, as an empty request.
  if (text === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new Error('A --compat gelato request must be JSON: { "userArgs": {...}, "storage": {...}, ... }')
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((entry) => typeof entry === 'string')
}
