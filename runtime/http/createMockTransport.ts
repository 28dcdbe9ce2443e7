import { STATUS_CODES } from 'node:http'
import { Readable } from 'node:stream'
import { FetchError } from './FetchError.js'
import type { HostFetchTransport, HostFetchTransportResponse } from './hostFetch.js'
import type { HttpMock } from './parseHttpMocks.js'

export type CreateMockTransportParameters = {
  /** Checked by `parseHttpMocks`; the first that matches a request answers it. */
  mocks: readonly HttpMock[]
}

type Matcher = {
  method: string
  /** A normalized URL (`URL.href`, no fragment), or the prefix before a trailing `*`. */
  url: string
  prefix: boolean
  headers: [string, string][]
  response: { status: number; headers: [string, string][]; body: Buffer }
}

/**
 * A `hostFetch` transport that answers from mocks instead of the network: no DNS, no connection. A request
 * matches a mock on its method, its URL (exact, or a prefix when the pattern ends in `*`, query included) and every
 * header the mock lists (names case-insensitive, values exact); the first match answers. A request that matches
 * none fails with `NETWORK_ERROR` naming its method and URL. Everything above the transport (the fetch count, the
 * policy's check of IP literals, redirects, the size, time and memory limits, decoding) applies as to real responses.
 *
 * @example
 * const transport = createMockTransport({
 *   mocks: [{ request: { url: 'https://api.example.com/price*' }, response: { json: { price: 3000.5 } } }],
 * })
 * await hostFetch({ url: 'https://api.example.com/price?pair=ETH-USD' }, { policy, timeoutMs, maxResponseBytes, transport })
 */
export function createMockTransport(parameters: CreateMockTransportParameters): HostFetchTransport {
  const matchers = parameters.mocks.map(toMatcher)
  return async (request) => {
    const url = withoutFragment(request.url)
    const headers = joinHeaders(request.headers)
    const match = matchers.find(
      (matcher) =>
        matcher.method === request.method.toUpperCase() &&
        (matcher.prefix ? url.startsWith(matcher.url) : url === matcher.url) &&
        matcher.headers.every(([name, value]) => headers.get(name) === value),
    )
    if (!match) {
      throw new FetchError(`No mock matches ${request.method} ${url}.`, {
        code: 'NETWORK_ERROR',
        details: 'the fetch was answered from mocks only; nothing was sent to the network',
        hint: 'Add a mock for this request (method, URL, and the headers it lists), or fix the URL the function fetches.',
      })
    }
    const { status, headers: responseHeaders, body } = match.response
    // A response to HEAD, and a 204 or 304, carries no body; its headers still say how long it would be.
    const hasBody = request.method !== 'HEAD' && status !== 204 && status !== 304
    return mockResponse(status, responseHeaders, hasBody ? body : Buffer.alloc(0))
  }
}

function toMatcher(mock: HttpMock): Matcher {
  const pattern = mock.request.url
  const prefix = pattern.endsWith('*')
  const body =
    mock.response.json !== undefined
      ? Buffer.from(JSON.stringify(mock.response.json) ?? 'null')
      : Buffer.from(mock.response.body ?? '')
  const headers = Object.entries(mock.response.headers ?? {})
    .map(([name, value]): [string, string] => [name.toLowerCase(), value])
    .filter(([name]) => name !== 'content-length' && name !== 'transfer-encoding')
  if (mock.response.json !== undefined && !headers.some(([name]) => name === 'content-type')) {
    headers.push(['content-type', 'application/json'])
  }
  headers.push(['content-length', String(body.length)])
  return {
    method: (mock.request.method ?? 'GET').toUpperCase(),
    url: prefix ? normalizePrefix(pattern.slice(0, -1)) : withoutFragment(new URL(pattern)),
    prefix,
    headers: Object.entries(mock.request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    response: { status: mock.response.status ?? 200, headers, body },
  }
}

/** The prefix as `URL` spells it (lower-case host, escapes), without the `/` it adds to a bare origin. */
function normalizePrefix(prefix: string): string {
  const href = withoutFragment(new URL(prefix))
  return href.endsWith('/') && !prefix.endsWith('/') ? href.slice(0, -1) : href
}

/** Repeated request headers as one value, as the real transport sends them. */
function joinHeaders(headers: [string, string][]): Map<string, string> {
  const joined = new Map<string, string>()
  for (const [name, value] of headers) {
    const previous = joined.get(name)
    joined.set(name, previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`)
  }
  return joined
}

/** A response stream shaped like the `IncomingMessage` the real transport gives, read by the same code. */
function mockResponse(status: number, headers: [string, string][], body: Buffer): HostFetchTransportResponse {
  const stream = Readable.from(body.length > 0 ? [body] : [], { objectMode: false })
  const headerObject: Record<string, string> = {}
  for (const [name, value] of headers) {
    const previous = headerObject[name]
    headerObject[name] = previous === undefined ? value : `${previous}, ${value}`
  }
  const response = Object.assign(stream, {
    statusCode: status,
    statusMessage: STATUS_CODES[status] ?? '',
    headers: headerObject,
    rawHeaders: headers.flat(),
    complete: false,
    socket: null,
  })
  stream.once('end', () => {
    response.complete = true
  })
  return response
}

function withoutFragment(url: URL): string {
  const copy = new URL(url)
  copy.hash = ''
  return copy.href
}
