import { decodeFunctionsRequest, functionsLocations } from './decodeFunctionsRequest.js'
import { type ChainlinkSource, runChainlinkSourceWith } from './runChainlinkSource.js'

/**
 * teefn's Chainlink Functions request runner: the function `TeefnFunctionsRouter` requests run. Each user registers
 * their own copy under their own functionId (`teefn chain register --chainlink-router`), which their consumers pass
 * as `donId`; it is built in `chainlink` mode, so Chainlink's limits apply (5 HTTP requests, a 256-byte result).
 * The request is the 0x-hex of the CBOR `FunctionsRequest.encodeCBOR` wrote; its inline JavaScript runs as
 * `--compat chainlink` runs a source: the body of an async function (in strict mode, as in a module) with the
 * globals `args`, `bytesArgs`, `secrets` and `Functions`, and Chainlink's result rules.
 *
 * Secrets: Chainlink's encrypted secrets (DON-hosted or remote, threshold-encrypted to the DON) cannot be decrypted
 * here, and a request's reference to them is ignored. The `secrets` global holds the teefn secrets of the runner's
 * functionId instead, which its owner puts with `teefn secrets put`, under the same names.
 * Code elsewhere (Remote, DONHosted) and languages other than JavaScript are refused with an error.
 * The source cannot `import` modules: it is not bundled.
 */
export default async function main(request: string, secrets: Record<string, string>): Promise<Uint8Array> {
  const bytes = hexBytes(request)
  if (bytes === undefined)
    throw new Error("The request runner expects a Chainlink Functions request's CBOR as 0x-hex")
  const { codeLocation, language, source, args, bytesArgs } = decodeFunctionsRequest(bytes)
  if (codeLocation !== 0) {
    const where = functionsLocations[codeLocation] ?? `location ${codeLocation}`
    throw new Error(
      `teefn runs inline sources only, and this request's code is ${where}: put the source in the request (initializeRequestForInlineJavaScript)`,
    )
  }
  if (language !== 0)
    throw new Error(`teefn runs JavaScript sources only, and this request's language is ${language}`)
  if (source === '') throw new Error("The request's source is empty")
  return runChainlinkSourceWith({ args, bytesArgs, secrets }, compileSource(source))
}

// The constructor of async functions: a source is the body of one, with top-level `await` and `return`.
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  body: string,
) => ChainlinkSource

/**
 * The source as an async function; strict like the module `--compat chainlink` builds. Its errors keep only their
 * frames in the source (`source:line:column`), so the message the consumer gets names no position in the runner.
 */
function compileSource(source: string): ChainlinkSource {
  let body: ChainlinkSource
  try {
    body = new AsyncFunction(`'use strict';${source}`)
  } catch (error) {
    throw sourceFramesOnly(error)
  }
  return async () => {
    try {
      return await body()
    } catch (error) {
      throw sourceFramesOnly(error)
    }
  }
}

/** The constructor puts two lines before the body: `(async function anonymous(` and `) {`. */
const headerLines = 2

function sourceFramesOnly(error: unknown): unknown {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return error
  const frames = error.stack
    .split('\n')
    .filter((line) => line.includes('<input>'))
    .map((line) =>
      line.replace(
        /<input>:(\d+)(?::(\d+))?/,
        (_, row: string, column?: string) =>
          `source:${Math.max(1, Number(row) - headerLines)}${column ? `:${column}` : ''}`,
      ),
    )
  Object.defineProperty(error, 'stack', { value: frames.join('\n'), writable: true, configurable: true })
  return error
}

function hexBytes(value: string): Uint8Array | undefined {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) return undefined
  const bytes = new Uint8Array((value.length - 2) / 2)
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(value.slice(2 + 2 * index, 4 + 2 * index), 16)
  return bytes
}
