import { requestText } from '../requestText.js'
import { encodeInt256, encodeString, encodeUint256 } from './encodeChainlinkValues.js'
import { makeHttpRequest } from './makeHttpRequest.js'

/** The body of a Chainlink Functions source, wrapped as an async function by `teefn build --compat chainlink`. */
export type ChainlinkSource = () => Promise<unknown>

/**
 * Runs a Chainlink Functions source as teefn's `main`: installs `args`, `bytesArgs`, `secrets` and `Functions` as
 * globals, runs the source, and applies Chainlink's result rules (see `runChainlinkSourceWith`). The request is the
 * JSON `{ "args": string[], "bytesArgs": string[] }` (as text, or as its UTF-8 bytes in 0x-hex), or empty.
 * Bundled into the function, so it runs in the sandbox.
 */
export async function runChainlinkSource(
  request: string,
  secrets: Record<string, string>,
  source: ChainlinkSource,
): Promise<Uint8Array> {
  return runChainlinkSourceWith({ ...parseRequest(request), secrets }, source)
}

/** The globals a Chainlink Functions source reads its input from. */
export type ChainlinkInputs = {
  args: string[]
  /** 0x-hex. */
  bytesArgs: string[]
  secrets: Record<string, string>
}

/**
 * Runs a Chainlink Functions source on inputs already read: installs the globals, runs the source, and applies
 * Chainlink's result rules: the result must be a Uint8Array or ArrayBuffer, and a thrown value that is not an
 * Error fails with `invalid value thrown of type <type>`.
 */
export async function runChainlinkSourceWith(
  { args, bytesArgs, secrets }: ChainlinkInputs,
  source: ChainlinkSource,
): Promise<Uint8Array> {
  const globals: Record<string, unknown> = {
    args,
    bytesArgs,
    secrets: { ...secrets },
    Functions: Object.freeze({ makeHttpRequest, encodeUint256, encodeInt256, encodeString }),
  }
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true })
  }
  let result: unknown
  try {
    result = await source()
  } catch (error) {
    if (error instanceof Error) throw error
    throw new Error(`invalid value thrown of type ${typeof error}`)
  }
  if (result instanceof Uint8Array) return result
  if (result instanceof ArrayBuffer) return new Uint8Array(result)
  throw new Error('returned value not an ArrayBuffer or Uint8Array')
}

function parseRequest(request: string): { args: string[]; bytesArgs: string[] } {
  if (request === '') return { args: [], bytesArgs: [] }
  const text = requestText(request)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error('A --compat chainlink request must be JSON: { "args": [...], "bytesArgs": [...] }')
  }
  const { args = [], bytesArgs = [] } = (value ?? {}) as { args?: unknown; bytesArgs?: unknown }
  if (!isStrings(args) || !isStrings(bytesArgs))
    throw new Error('The request\'s "args" and "bytesArgs" must be arrays of strings')
  return { args, bytesArgs }
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string')
}
