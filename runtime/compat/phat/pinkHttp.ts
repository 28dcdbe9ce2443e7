import { bytesOrHex, isHex, toHex } from './bytesOrHex.js'

declare const teefnCompatOutput: (name: string, value: unknown) => void

/** The sandbox's blocking HTTP (`createSyncHttpGlobal.ts`). */
declare const teefnHttpRequestsSync: (requestsJson: string, timeoutMs: number) => SyncResult[]
type SyncResult =
  | { status: number; statusText: string; headersJson: string; body: ArrayBuffer; code?: undefined }
  | { code: string; message: string }

export type PinkHttpRequest = {
  url: string
  /** Default `GET`. */
  method?: string
  /** An object, or an array of [name, value] pairs. */
  headers?: Record<string, string> | [string, string][]
  /** Bytes, a `0x`-hex string (the bytes it spells), or text. */
  body?: Uint8Array | string
  /** The body as text (UTF-8, lossy) rather than a Uint8Array. */
  returnTextBody?: boolean
}

export type PinkHttpResponse = {
  statusCode: number
  reasonPhrase: string
  headers: Record<string, string>
  body: Uint8Array | string
}

/** Phat's limit on `batchHttpRequest`: more requests throw. */
export const maxBatchRequests = 5
/** Phat's timeout of `httpRequest`, and of each batch unless it names one. The sandbox's per-fetch limit still applies. */
export const phatHttpTimeoutMs = 10_000
const tooLarge = new Set(['RESPONSE_TOO_LARGE', 'MEMORY_LIMIT'])

/**
 * `pink.httpRequest(request)`: synchronous, as in Phat. A request that cannot be sent or times out returns
 * Phat's `523 Unreachable`, a response over the size limit `524 IO Error` (body `ResponseTooLarge`); going over
 * the invocation's fetch limit throws. Bundled into a `--compat phat` function.
 */
export function httpRequest(request: PinkHttpRequest): PinkHttpResponse {
  const [result] = send([request], phatHttpTimeoutMs)
  const returnText = request.returnTextBody === true
  if (result!.code === undefined) return response(result!, returnText)
  if (tooLarge.has(result!.code)) return failure(524, 'IO Error', 'ResponseTooLarge', returnText)
  return failure(523, 'Unreachable', `${result!.code}: ${result!.message}`, returnText)
}

/**
 * `pink.batchHttpRequest(requests, timeoutMs)`: up to 5 requests at once, each within `timeoutMs`, in order.
 * More than 5 throws `Failed to call batch_http_request: TooManyRequests` (Phat's error); a response over the
 * size limit is the entry `{ error: 'ResponseTooLarge' }`; one that cannot be sent or times out, `523 Unreachable`.
 */
export function batchHttpRequest(
  requests: PinkHttpRequest[],
  timeoutMs: number = phatHttpTimeoutMs,
): (PinkHttpResponse | { error: string })[] {
  if (!Array.isArray(requests)) throw new TypeError('pink.batchHttpRequest: requests must be an array')
  if (requests.length > maxBatchRequests) {
    // The mode's own limit: `teefn run --json` names it (the side output `limit`).
    teefnCompatOutput('limit', 'batchRequests')
    throw new Error('Failed to call batch_http_request: TooManyRequests')
  }
  if (requests.length === 0) return []
  // Phat answers a zero timeout with a Timeout error for every request, sending none.
  if (!(timeoutMs > 0)) return requests.map(() => ({ error: 'Timeout' }))
  return send(requests, timeoutMs).map((result, index) => {
    const returnText = requests[index]!.returnTextBody === true
    if (result.code === undefined) return response(result, returnText)
    if (tooLarge.has(result.code)) return { error: 'ResponseTooLarge' }
    return failure(523, 'Unreachable', `${result.code}: ${result.message}`, returnText)
  })
}

function send(requests: PinkHttpRequest[], timeoutMs: number): SyncResult[] {
  return teefnHttpRequestsSync(JSON.stringify(requests.map(toWire)), timeoutMs)
}

function toWire(request: PinkHttpRequest): Record<string, unknown> {
  if (typeof request?.url !== 'string') throw new TypeError('pink.httpRequest: url must be a string')
  const headers = Array.isArray(request.headers) ? request.headers : Object.entries(request.headers ?? {})
  const wire: Record<string, unknown> = { url: request.url, method: request.method ?? 'GET', headers }
  const { body } = request
  if (body instanceof Uint8Array) wire.bodyHex = toHex(body)
  else if (typeof body === 'string' && isHex(body)) wire.bodyHex = toHex(bytesOrHex(body, 'body'))
  else if (typeof body === 'string' && body !== '') wire.body = body
  else if (body !== undefined && body !== '')
    throw new TypeError('pink.httpRequest: body must be a Uint8Array or a string')
  return wire
}

function response(result: SyncResult & { code?: undefined }, returnText: boolean): PinkHttpResponse {
  const headers: Record<string, string> = {}
  for (const [name, value] of JSON.parse(result.headersJson) as [string, string][])
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  const bytes = new Uint8Array(result.body)
  return {
    statusCode: result.status,
    reasonPhrase: result.statusText,
    headers,
    body: returnText ? new TextDecoder().decode(bytes) : bytes,
  }
}

function failure(
  statusCode: number,
  reasonPhrase: string,
  text: string,
  returnText: boolean,
): PinkHttpResponse {
  return { statusCode, reasonPhrase, headers: {}, body: returnText ? text : new TextEncoder().encode(text) }
}
