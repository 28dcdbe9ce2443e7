import { performance } from 'node:perf_hooks'
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'
import { hexToBytes } from '../../bytes.js'
import { FetchError } from '../../http/FetchError.js'
import type { HostFetchRequest } from '../../http/hostFetch.js'
import { type BlockingFetchResult, blockingFetcher } from '../createBlockingFetcher.js'
import type { InvocationSession } from './InvocationSession.js'

export type CreateSyncHttpGlobalParameters = {
  context: QuickJSContext
  session: () => InvocationSession
}

/** A request as the guest passes it: JSON, the body as text or as hex (without `0x`). */
type GuestRequest = {
  url: string
  method?: string
  headers?: [string, string][]
  body?: string
  bodyHex?: string
}

const maxRequestsPerCall = 64

/**
 * `teefnHttpRequestsSync(requestsJson, timeoutMs)`: the blocking HTTP a compat mode's runtime builds on (Phat's
 * `pink.httpRequest` and `pink.batchHttpRequest`). The requests run concurrently and the call returns when all
 * ended: an array of `{ status, statusText, headersJson, body: ArrayBuffer }` or `{ code, message }` (the codes of
 * `FetchError`). They count against the invocation's fetches, under its policy, mocks and per-fetch limits, each
 * within `timeoutMs` and the deadline. Over the fetch limit or past the deadline it throws, fetching nothing; if
 * the deadline passes while it waits, it throws then.
 */
export function createSyncHttpGlobal({ context, session }: CreateSyncHttpGlobalParameters): QuickJSHandle {
  return context.newFunction('teefnHttpRequestsSync', (requestsJson, timeoutHandle) => {
    const current = session()
    const requests = readRequests(context.getString(requestsJson))
    const timeoutMs = timeoutHandle === undefined ? Number.NaN : context.getNumber(timeoutHandle)
    if (!(timeoutMs > 0)) throw new TypeError('teefnHttpRequestsSync: timeoutMs must be a positive number')
    let remainingMs: number
    try {
      remainingMs = current.fetcher().claim(requests.length)
    } catch (error) {
      throw guestError(error)
    }
    const { allowHosts, httpMocks, fetchTimeoutMs, maxResponseBytes } = current.syncHttp
    const sleptFrom = performance.now()
    const results = blockingFetcher().fetchAll(
      {
        requests,
        allowHosts,
        httpMocks,
        timeoutMs: Math.min(timeoutMs, fetchTimeoutMs, remainingMs),
        maxResponseBytes,
      },
      current.deadlineAt,
    )
    current.blockedMs += performance.now() - sleptFrom
    // As `fetch` does: a limit a request ran into is named if the function then fails.
    const ownTimeout = fetchTimeoutMs < Math.min(timeoutMs, remainingMs)
    for (const result of results ?? []) {
      if (result.ok) continue
      if (result.code === 'RESPONSE_TOO_LARGE') current.fetcher().noteLimit('fetchResponseBytes')
      else if (result.code === 'TIMEOUT' && ownTimeout) current.fetcher().noteLimit('fetchTimeoutMs')
    }
    // Past the deadline (given up on, or answered with requests the deadline cut short), the invocation is over.
    if (results === undefined || Date.now() >= current.deadlineAt) {
      // As if the interrupt handler had fired: guest code was running (blocked) when the deadline passed.
      current.interrupted = true
      throw new Error("TIMEOUT: the invocation's deadline passed while its HTTP requests were in flight")
    }
    const array = context.newArray()
    results.forEach((result, index) => {
      using entry = toGuest(result)
      context.setProp(array, index, entry)
    })
    return array
  })

  function toGuest(result: BlockingFetchResult): QuickJSHandle {
    const entry = context.newObject()
    const set = (key: string, value: QuickJSHandle) => {
      context.setProp(entry, key, value)
      value.dispose()
    }
    if (!result.ok) {
      set('code', context.newString(result.code))
      set('message', context.newString(result.message))
      return entry
    }
    set('status', context.newNumber(result.status))
    set('statusText', context.newString(result.statusText))
    set('headersJson', context.newString(JSON.stringify(result.headers)))
    const { body } = result
    set('body', context.newArrayBuffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)))
    return entry
  }
}

function readRequests(json: string): HostFetchRequest[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new TypeError('teefnHttpRequestsSync: requests must be JSON')
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > maxRequestsPerCall)
    throw new TypeError(`teefnHttpRequestsSync: pass 1 to ${maxRequestsPerCall} requests`)
  return value.map((entry: GuestRequest) => {
    if (typeof entry?.url !== 'string') throw new TypeError('teefnHttpRequestsSync: each request needs a url')
    const request: HostFetchRequest = { url: entry.url, method: String(entry.method ?? 'GET').toUpperCase() }
    if (Array.isArray(entry.headers))
      request.headers = entry.headers.map(([name, value]): [string, string] => [String(name), String(value)])
    if (typeof entry.bodyHex === 'string') {
      const bytes = hexToBytes(`0x${entry.bodyHex}`)
      if (!bytes) throw new TypeError('teefnHttpRequestsSync: bodyHex is not hex')
      request.body = bytes
    } else if (typeof entry.body === 'string') request.body = entry.body
    return request
  })
}

/** A refusal as the guest sees it: a plain Error whose message starts with the `FetchError` code. */
function guestError(error: unknown): Error {
  if (error instanceof FetchError) return new Error(`${error.code}: ${error.shortMessage}`)
  return error instanceof Error ? error : new Error(String(error))
}
