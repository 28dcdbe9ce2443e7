import {
  type ClientRequest,
  type Agent as HttpAgent,
  Agent as HttpAgentClass,
  request as httpRequest,
  type IncomingMessage,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http'
import { type Agent as HttpsAgent, Agent as HttpsAgentClass, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { createCheckedLookup } from './createCheckedLookup.js'
import type { MemoryBudget, MemoryReservation } from './createMemoryBudget.js'
import type { NetworkPolicy } from './createNetworkPolicy.js'
import { FetchError } from './FetchError.js'
import { fetchDefaults } from './fetchDefaults.js'
import { hostNotAllowedError } from './hostNotAllowedError.js'
import { isCorsSafelistedRequestHeader } from './isCorsSafelistedRequestHeader.js'
import { memoryLimitError } from './memoryLimitError.js'
import { type ResponseBodyStream, readResponseBody } from './readResponseBody.js'

export type HostFetchRequest = {
  /** Absolute `http:` or `https:` URL, without credentials. */
  url: string
  /** Default `GET`. Standard methods are upper-cased; `CONNECT`, `TRACE` and `TRACK` are refused. */
  method?: string | undefined
  /**
   * Request headers; pairs may repeat a name. Hop-by-hop and framing headers (`host`, `connection`,
   * `content-length`, `transfer-encoding`, `te`, `trailer`, `upgrade`, `keep-alive`, `expect`, `proxy-*`)
   * are dropped, as WHATWG fetch does: the connection is the host's business.
   */
  headers?: Record<string, string> | [string, string][] | undefined
  body?: string | Uint8Array | undefined
  /**
   * Names of request headers that may follow a redirect to another origin. Only CORS-safelisted headers
   * (`accept`, `accept-language`, `content-language`, `content-type` of a form or plain text) and these do;
   * every other header the function set (`authorization`, `cookie`, `x-api-key`...) is dropped there, so a
   * server cannot hand the function's credentials to another origin by redirecting.
   */
  crossOriginHeaders?: string[] | undefined
}

/** Connection pools for the fetch. Never share them across invocations or policies: a pooled socket is not re-checked. */
export type HostFetchAgents = { http: HttpAgent; https: HttpsAgent }

export type HostFetchOptions = {
  policy: NetworkPolicy
  /** Deadline for the whole fetch: DNS, connect, TLS, headers and body, across every redirect hop. */
  timeoutMs: number
  /** Limit on each response body after decoding. */
  maxResponseBytes: number
  /** Default 5. One more redirect than this fails with `NETWORK_ERROR`. */
  maxRedirects?: number | undefined
  /**
   * Aborts the fetch. The rejection follows `signal.reason`: a {@link FetchError} keeps its code (so a
   * `TIMEOUT` reason means the caller's deadline passed); a `TimeoutError` (`AbortSignal.timeout`) becomes
   * `TIMEOUT`; anything else becomes `NETWORK_ERROR`.
   */
  signal?: AbortSignal | undefined
  /** Keep-alive pools to use; by default the fetch makes its own and destroys them when it ends (never Node's global agent). */
  agents?: HostFetchAgents | undefined
  /**
   * The invocation's memory: the request body while it is sent, and the response body and its decoders while
   * they are read, reserve from it; what does not fit fails with `MEMORY_LIMIT`. The response's body keeps its
   * reservation (`HostFetchResponse.memory`) until the caller releases it.
   */
  memory?: MemoryBudget | undefined
  /** Content-encoding layers decoded at most; default 2. */
  maxEncodings?: number | undefined
  /**
   * Answers each hop instead of the network (`createMockTransport`): no DNS and no connection, but every check and
   * limit above the wire applies as it does to real responses. IP literals are still checked against the policy.
   */
  transport?: HostFetchTransport | undefined
}

/** One hop as a transport sends it: the checked URL, the method and headers as prepared, the body. */
export type HostFetchTransportRequest = {
  url: URL
  method: string
  /** Names lower-cased; a name may repeat. */
  headers: [string, string][]
  body: string | Uint8Array | undefined
}

/** What a transport answers: the parts of `IncomingMessage` the fetch reads, body streamed. */
export type HostFetchTransportResponse = ResponseBodyStream &
  Pick<IncomingMessage, 'statusCode' | 'statusMessage' | 'rawHeaders'>

/** Sends one hop somewhere other than the network; rejects with a {@link FetchError} to fail the fetch. */
export type HostFetchTransport = (request: HostFetchTransportRequest) => Promise<HostFetchTransportResponse>

export type HostFetchResponse = {
  status: number
  statusText: string
  /** The final URL, after redirects, without fragment. */
  url: string
  redirected: boolean
  /** In received order, names lower-cased, repeated names kept (`set-cookie`). Encoding headers are as received. */
  headers: [string, string][]
  /** The body, decoded if it was `gzip`, `deflate` or `br`. */
  body: Uint8Array
  /** The body's bytes in `options.memory`: release it once the body is no longer held. */
  memory?: MemoryReservation | undefined
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])
const droppedRequestHeaders = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
])
const bodyHeaders = ['content-type', 'content-encoding', 'content-language', 'content-location']
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK'])
const normalizedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])
const methodPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const maxTimerMs = 2 ** 31 - 1
const noop = () => {}

/**
 * Fetches a URL for a sandboxed function, under the network policy and the size and time limits.
 *
 * - Every connection goes to an address the policy checked: names are resolved by a checked `lookup`
 *   that hands the socket only allowed addresses; IP literals are checked before connecting. TLS still
 *   verifies the certificate against the URL's host name.
 * - Redirects (301, 302, 303, 307, 308) are followed by hand and each hop is checked again; 303, and 301/302
 *   after POST, become a GET without body. A hop to another origin keeps only CORS-safelisted headers,
 *   `accept-encoding` and the headers named in `crossOriginHeaders` (the user-agent goes back to teefn's).
 * - `timeoutMs` covers the whole exchange including the body; the body is counted while it streams and
 *   decoded (`gzip`, `deflate`, `br`; at most `maxEncodings` layers) before counting. Either limit destroys
 *   the socket at once. With `memory`, the bodies and decoders also count against the invocation's memory.
 *
 * Rejects with {@link FetchError}: `HOST_NOT_ALLOWED`, `TIMEOUT`, `RESPONSE_TOO_LARGE`, `MEMORY_LIMIT` or
 * `NETWORK_ERROR` (bad URL or request, DNS, connection, TLS, broken body, encoding, too many redirects, aborted).
 * Messages name only the origin, never the path or query.
 *
 * @example
 * const response = await hostFetch(
 *   { url: 'https://api.example.com/price?asset=ETH' },
 *   { policy: createNetworkPolicy(), timeoutMs: 5000, maxResponseBytes: 5 * 1024 * 1024 },
 * )
 * new TextDecoder().decode(response.body)
 */
export async function hostFetch(
  request: HostFetchRequest,
  options: HostFetchOptions,
): Promise<HostFetchResponse> {
  const prepared = prepareRequest(request)
  const { policy, maxResponseBytes, signal, memory } = options
  const maxRedirects = options.maxRedirects ?? fetchDefaults.maxRedirects
  let current = prepared.url
  if (signal?.aborted) throw abortError(signal.reason, origin(current))
  // The request body is held (and copied for every hop) until the exchange ends.
  const requestBytes = bodyLength(prepared.body)
  const requestReservation = memory?.tryReserve(requestBytes)
  if (memory && !requestReservation) {
    throw memoryLimitError({
      budget: memory,
      origin: origin(current),
      what: 'the request body',
      neededBytes: requestBytes,
    })
  }

  const controller = new AbortController()
  let inFlight: { request?: ClientRequest; response?: HostFetchTransportResponse } = {}
  const stop = (reason: FetchError) => {
    if (controller.signal.aborted) return
    controller.abort(reason)
    inFlight.response?.destroy()
    inFlight.request?.destroy()
  }
  const timeoutMs = Number.isNaN(options.timeoutMs) ? 0 : Math.max(0, options.timeoutMs)
  const timer = setTimeout(
    () =>
      stop(
        new FetchError(`The fetch to ${origin(current)} did not complete within ${timeoutMs} ms.`, {
          code: 'TIMEOUT',
          details:
            'The timeout covers DNS, connecting, the response headers and the whole body, across redirects.',
          hint: 'Make the upstream answer faster, or ask it for less.',
        }),
      ),
    Math.min(timeoutMs, maxTimerMs),
  )
  const onAbort = () => stop(abortError(signal?.reason, origin(current)))
  signal?.addEventListener('abort', onAbort, { once: true })
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
  })
  aborted.catch(() => {})
  const agents = options.agents ?? {
    http: new HttpAgentClass({ keepAlive: false }),
    https: new HttpsAgentClass({ keepAlive: false }),
  }

  const exchange = async (): Promise<HostFetchResponse> => {
    let { method, headers, body } = prepared
    let redirects = 0
    for (;;) {
      // Between hops nothing is in flight to destroy: do not start a new hop after an abort.
      if (controller.signal.aborted) throw controller.signal.reason
      const response = options.transport
        ? await sendToTransport(options.transport, { url: current, method, headers, body }, policy)
        : await sendOnce({
            url: current,
            method,
            headers,
            body,
            policy,
            agents,
            onRequest: (clientRequest) => {
              inFlight = { request: clientRequest }
            },
          })
      inFlight.response = response
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (!redirectStatuses.has(status) || location === undefined) {
        const read = await readResponseBody(response, {
          maxResponseBytes,
          origin: origin(current),
          expectBody: method !== 'HEAD' && status !== 204 && status !== 304,
          memory,
          maxEncodings: options.maxEncodings,
        })
        const responseHeaders: [string, string][] = []
        for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
          responseHeaders.push([response.rawHeaders[index]!.toLowerCase(), response.rawHeaders[index + 1]!])
        }
        return {
          status,
          statusText: response.statusMessage ?? '',
          url: withoutFragment(current),
          redirected: redirects > 0,
          headers: responseHeaders,
          body: read.body,
          memory: read.reservation,
        }
      }

      // Redirect bodies are not read; destroying the response closes its socket.
      response.destroy()
      if (redirects >= maxRedirects) {
        throw new FetchError(
          `The fetch to ${origin(prepared.url)} was redirected more than ${maxRedirects} times.`,
          {
            code: 'NETWORK_ERROR',
            details: `last redirect: ${status} from ${origin(current)}`,
            hint: 'Fetch the final URL directly, or check the upstream for a redirect loop.',
          },
        )
      }
      const next = parseRedirect(location, current)
      if (
        (status === 303 && method !== 'HEAD') ||
        ((status === 301 || status === 302) && method === 'POST')
      ) {
        method = 'GET'
        body = undefined
        headers = headers.filter(([name]) => !bodyHeaders.includes(name))
      }
      if (origin(next) !== origin(current)) headers = crossOriginHeaders(headers, prepared.crossOriginHeaders)
      current = next
      redirects++
    }
  }

  const exchanging = exchange()
  try {
    return await Promise.race([exchanging, aborted])
  } catch (error) {
    // A body read to the end just as the fetch was stopped is dropped: give back what it holds.
    exchanging.then((response) => response.memory?.release(), noop)
    if (controller.signal.aborted) throw controller.signal.reason
    inFlight.response?.destroy()
    inFlight.request?.destroy()
    throw toFetchError(error, origin(current))
  } finally {
    requestReservation?.release()
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    if (!options.agents) {
      agents.http.destroy()
      agents.https.destroy()
    }
  }
}

type PreparedRequest = {
  url: URL
  method: string
  headers: [string, string][]
  body: string | Uint8Array | undefined
  /** Lower-cased names the function lets follow a cross-origin redirect. */
  crossOriginHeaders: Set<string>
}

function prepareRequest(request: HostFetchRequest): PreparedRequest {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    throw invalidRequest('The URL is not a valid absolute URL.', undefined)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidRequest(
      `The URL's protocol ${url.protocol} is not supported; only http: and https: can be fetched.`,
      undefined,
    )
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidRequest(
      `The URL for ${origin(url)} contains credentials.`,
      'Send them in an authorization header instead.',
    )
  }

  let method = request.method ?? 'GET'
  if (!methodPattern.test(method))
    throw invalidRequest(`${JSON.stringify(method)} is not a valid HTTP method.`, undefined)
  if (normalizedMethods.has(method.toUpperCase())) method = method.toUpperCase()
  if (forbiddenMethods.has(method.toUpperCase()))
    throw invalidRequest(`The ${method} method is not allowed.`, undefined)

  const { body } = request
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw invalidRequest('The request body must be a string or a Uint8Array.', undefined)
  }

  const entries = Array.isArray(request.headers) ? request.headers : Object.entries(request.headers ?? {})
  const headers: [string, string][] = []
  for (const entry of entries) {
    const [name, value] = entry ?? []
    try {
      validateHeaderName(String(name))
      validateHeaderValue(String(name), String(value))
    } catch {
      throw invalidRequest(
        `The request header ${JSON.stringify(String(name)).slice(0, 80)} is invalid.`,
        'Header names are tokens; values must not contain line breaks.',
      )
    }
    const lower = String(name).toLowerCase()
    if (droppedRequestHeaders.has(lower) || lower.startsWith('proxy-')) continue
    headers.push([lower, String(value)])
  }
  const has = (name: string) => headers.some(([header]) => header === name)
  if (!has('user-agent')) headers.push(['user-agent', fetchDefaults.userAgent])
  if (!has('accept')) headers.push(['accept', '*/*'])
  if (!has('accept-encoding')) headers.push(['accept-encoding', 'gzip, deflate, br'])

  const allowed = new Set<string>()
  if (request.crossOriginHeaders !== undefined) {
    if (!Array.isArray(request.crossOriginHeaders))
      throw invalidRequest('crossOriginHeaders must be an array of header names.', undefined)
    for (const name of request.crossOriginHeaders) {
      try {
        validateHeaderName(String(name))
      } catch {
        throw invalidRequest(
          `crossOriginHeaders names an invalid header ${JSON.stringify(String(name)).slice(0, 80)}.`,
          undefined,
        )
      }
      allowed.add(String(name).toLowerCase())
    }
  }
  return { url, method, headers, body, crossOriginHeaders: allowed }
}

/**
 * The headers that may follow a redirect to another origin: CORS-safelisted ones, `accept-encoding` (the
 * host's transport), and those the function named; the user-agent falls back to teefn's own.
 */
function crossOriginHeaders(headers: [string, string][], allowed: Set<string>): [string, string][] {
  const kept = headers.filter(
    ([name, value]) =>
      name === 'accept-encoding' || allowed.has(name) || isCorsSafelistedRequestHeader(name, value),
  )
  if (!kept.some(([name]) => name === 'user-agent')) kept.push(['user-agent', fetchDefaults.userAgent])
  return kept
}

function bodyLength(body: string | Uint8Array | undefined): number {
  if (body === undefined) return 0
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
}

type SendOnceParameters = {
  url: URL
  method: string
  headers: [string, string][]
  body: string | Uint8Array | undefined
  policy: NetworkPolicy
  agents: HostFetchAgents
  onRequest: (request: ClientRequest) => void
}

/** One hop through a transport: an IP literal is checked first, as `sendOnce` checks it before connecting. */
function sendToTransport(
  transport: HostFetchTransport,
  request: HostFetchTransportRequest,
  policy: NetworkPolicy,
): Promise<HostFetchTransportResponse> {
  const denied = checkLiteral(request.url, policy)
  return denied ? Promise.reject(denied) : transport(request)
}

/** The policy's refusal of a URL whose host is an IP literal, if it refuses it. */
function checkLiteral(url: URL, policy: NetworkPolicy): FetchError | undefined {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (isIP(hostname) === 0) return undefined
  const decision = policy.check({ hostname, port, address: hostname })
  return decision.allowed ? undefined : hostNotAllowedError(decision)
}

/** One request and its response headers, connected only to an address the policy allows. */
function sendOnce(parameters: SendOnceParameters): Promise<IncomingMessage> {
  const { url, method, body, policy, agents } = parameters
  const isHttps = url.protocol === 'https:'
  const port = url.port === '' ? (isHttps ? 443 : 80) : Number(url.port)
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  // Node connects to IP literals without calling `lookup`, so they are checked here.
  const denied = checkLiteral(url, policy)
  if (denied) return Promise.reject(denied)

  const headers: Record<string, string> = {}
  for (const [name, value] of parameters.headers) {
    const previous = headers[name]
    headers[name] = previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  const payload =
    body === undefined
      ? undefined
      : typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (payload !== undefined) headers['content-length'] = String(payload.length)
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') headers['content-length'] = '0'

  return new Promise<IncomingMessage>((resolve, reject) => {
    const clientRequest = (isHttps ? httpsRequest : httpRequest)(
      {
        host: hostname,
        port,
        method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: isHttps ? agents.https : agents.http,
        lookup: createCheckedLookup({ policy, port }),
      },
      resolve,
    )
    parameters.onRequest(clientRequest)
    // A policy denial from the lookup arrives here as the HOST_NOT_ALLOWED FetchError it was created as.
    clientRequest.on('error', reject)
    clientRequest.end(payload)
  })
}

function parseRedirect(location: string, base: URL): URL {
  let next: URL
  try {
    next = new URL(location, base)
  } catch {
    throw new FetchError(`${origin(base)} redirected to an invalid URL.`, { code: 'NETWORK_ERROR' })
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new FetchError(
      `${origin(base)} redirected to a ${next.protocol} URL; only http: and https: can be fetched.`,
      {
        code: 'NETWORK_ERROR',
      },
    )
  }
  // Credentials in a Location are ignored rather than sent.
  next.username = ''
  next.password = ''
  return next
}

function invalidRequest(message: string, hint: string | undefined): FetchError {
  return new FetchError(message, { code: 'NETWORK_ERROR', hint })
}

function abortError(reason: unknown, target: string): FetchError {
  if (reason instanceof FetchError) {
    return new FetchError(`The fetch to ${target} was stopped: ${reason.shortMessage}`, {
      code: reason.code,
      details: reason.details,
      hint: reason.hint,
      cause: reason,
    })
  }
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new FetchError(`The fetch to ${target} was stopped: its deadline passed.`, {
      code: 'TIMEOUT',
      cause: reason,
    })
  }
  return new FetchError(`The fetch to ${target} was aborted.`, {
    code: 'NETWORK_ERROR',
    details: reason instanceof Error ? reason.message : reason === undefined ? undefined : String(reason),
    cause: reason,
  })
}

/** Wraps whatever the transport threw: the reason and its code, never a stack. */
function toFetchError(error: unknown, target: string): FetchError {
  if (error instanceof FetchError) return error
  const code = (error as { code?: unknown } | undefined)?.code
  const codeText = typeof code === 'string' ? code : undefined
  let reason = error instanceof Error ? error.message : String(error)
  // Happy-eyeballs failures are an AggregateError with an empty message.
  if (error instanceof AggregateError && reason === '')
    reason = error.errors.map((inner: Error) => inner.message).join('; ')
  if (codeText === 'ENOTFOUND' || codeText === 'EAI_AGAIN')
    reason = `the host name could not be resolved (${reason})`
  const isTls = typeof codeText === 'string' && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME/.test(codeText)
  return new FetchError(`The fetch to ${target} failed: ${reason || 'unknown error'}.`, {
    code: 'NETWORK_ERROR',
    details: codeText ? `code: ${codeText}` : undefined,
    hint: isTls
      ? "The server's TLS certificate must be valid for the URL's host name and signed by a public CA."
      : 'Check that the host is up and reachable from the worker, then retry.',
    cause: error,
  })
}

/** `https://host:port` (port shown only when not the default), for messages that must not leak paths or queries. */
function origin(url: URL): string {
  return url.origin
}

function withoutFragment(url: URL): string {
  const copy = new URL(url)
  copy.hash = ''
  return copy.href
}
