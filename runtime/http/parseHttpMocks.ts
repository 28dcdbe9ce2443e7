import { validateHeaderName, validateHeaderValue } from 'node:http'
import { HttpMockError } from './HttpMockError.js'

/**
 * One mocked exchange: a request pattern and the response that answers it. Plain JSON, as a `--mock` file holds
 * it, so it crosses to the sandbox thread as is.
 */
export type HttpMock = {
  request: {
    /** Default `GET`; compared case-insensitively. */
    method?: string | undefined
    /** The absolute URL, query included; a trailing `*` makes the rest a prefix (`https://api.example.com/v1/*`). */
    url: string
    /** Headers the request must carry with these exact values; names are case-insensitive. */
    headers?: Record<string, string> | undefined
  }
  response: {
    /** 200 to 599; default 200. A redirect status with a `location` header is followed like a real one. */
    status?: number | undefined
    headers?: Record<string, string> | undefined
    /** The body as text; or `json`, sent as its JSON text with `content-type: application/json`. Not both. */
    body?: string | undefined
    json?: unknown
  }
}

const entryKeys = new Set(['request', 'response'])
const requestKeys = new Set(['method', 'url', 'headers'])
const responseKeys = new Set(['status', 'headers', 'body', 'json'])
const methodPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Checks a list of HTTP mocks (the parsed JSON of a `--mock` file) and returns it typed. Throws
 * {@link HttpMockError} naming the first bad entry and field (`mocks[2].response.status`).
 *
 * @example
 * const mocks = parseHttpMocks(JSON.parse(await readFile('mocks.json', 'utf8')))
 */
export function parseHttpMocks(value: unknown): HttpMock[] {
  if (!Array.isArray(value)) {
    throw invalid('mocks', 'must be an array of { "request": ..., "response": ... } entries', value)
  }
  return value.map((entry, index) => parseEntry(entry, `mocks[${index}]`))
}

function parseEntry(entry: unknown, at: string): HttpMock {
  const fields = objectAt(entry, at, entryKeys)
  const request = objectAt(fields.request, `${at}.request`, requestKeys)
  const response = objectAt(fields.response, `${at}.response`, responseKeys)

  const { url, method } = request
  if (typeof url !== 'string' || url === '') throw invalid(`${at}.request.url`, 'must be a URL string', url)
  if (!isHttpUrl(url.endsWith('*') ? url.slice(0, -1) : url)) {
    throw invalid(
      `${at}.request.url`,
      'must be an absolute http: or https: URL (a trailing * for a prefix)',
      url,
    )
  }
  if (method !== undefined && (typeof method !== 'string' || !methodPattern.test(method))) {
    throw invalid(`${at}.request.method`, 'must be an HTTP method such as "GET" or "POST"', method)
  }
  const status = response.status ?? 200
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalid(`${at}.response.status`, 'must be a whole number from 200 to 599', status)
  }
  if (response.body !== undefined && response.json !== undefined) {
    throw invalid(`${at}.response`, 'has both body and json; give one of them', undefined)
  }
  if (response.body !== undefined && typeof response.body !== 'string') {
    throw invalid(`${at}.response.body`, 'must be a string (use json for a JSON value)', response.body)
  }
  return {
    request: {
      method: method as string | undefined,
      url,
      headers: headersAt(request.headers, `${at}.request.headers`),
    },
    response: {
      status,
      headers: headersAt(response.headers, `${at}.response.headers`),
      body: response.body as string | undefined,
      json: response.json,
    },
  }
}

/** A plain object with only `allowed` keys. */
function objectAt(value: unknown, at: string, allowed: Set<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(at, 'must be an object', value)
  }
  const unknown = Object.keys(value).find((key) => !allowed.has(key))
  if (unknown !== undefined) {
    throw invalid(`${at}.${unknown}`, `is not a field; expected ${[...allowed].join(', ')}`, undefined)
  }
  return value as Record<string, unknown>
}

function headersAt(value: unknown, at: string): Record<string, string> | undefined {
  if (value === undefined) return undefined
  const headers = objectAt(value, at, new Set(Object.keys(value ?? {})))
  for (const [name, headerValue] of Object.entries(headers)) {
    try {
      validateHeaderName(name)
      if (typeof headerValue !== 'string') throw new TypeError('not a string')
      validateHeaderValue(name, headerValue)
    } catch {
      throw invalid(
        `${at}[${JSON.stringify(name)}]`,
        'must be a valid header name with a string value',
        headerValue,
      )
    }
  }
  return headers as Record<string, string>
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

function invalid(at: string, problem: string, value: unknown): HttpMockError {
  const shown = value === undefined ? undefined : JSON.stringify(value)
  return new HttpMockError(`${at} ${problem}.`, {
    code: 'HTTP_MOCK_INVALID',
    details:
      shown === undefined ? undefined : `got ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}`,
    hint: 'Each mock is { "request": { "method", "url", "headers" }, "response": { "status", "headers", "body" | "json" } }.',
  })
}
