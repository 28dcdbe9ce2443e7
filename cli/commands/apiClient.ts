import { BaseError } from '../../runtime/errors/BaseError.js'
import { UsageError } from '../UsageError.js'

/** Where the commands find the teefn server: `--server`, else `TEEFN_SERVER`, else this. */
export const defaultServerUrl = 'http://127.0.0.1:8787'

/** The server URL a command talks to, checked (a usage error names the bad value). */
export function resolveServerUrl(option: string | undefined): string {
  const value = option ?? process.env.TEEFN_SERVER ?? defaultServerUrl
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--server ${value} is not a URL`, 'e.g. --server http://127.0.0.1:8787')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server ${value} is not an http(s) URL`)
  }
  return url.toString().replace(/\/+$/, '')
}

/** The server refused or failed a request: its `{ error: { code, message } }`, with the HTTP status. */
export class ApiRequestError extends BaseError {
  override name = 'ApiRequestError'
  readonly status: number
  constructor(status: number, code: string, message: string) {
    super(`the server answered ${status} ${code}: ${message}`, { code })
    this.status = status
  }
}

export type CallApiParameters = {
  server: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | undefined
  path: string
  /** A JSON body (sent as application/json). */
  json?: unknown
  /** A raw body, with its content type. */
  raw?: { body: Uint8Array | string; contentType: string } | undefined
  headers?: Record<string, string> | undefined
  timeoutMs?: number | undefined
}

/**
 * One request to the teefn HTTP API. 2xx answers resolve with their status and JSON body; error answers throw
 * `ApiRequestError` with the server's code and message; an unreachable server throws a plain error naming
 * the URL. Headers (which may hold an API key) are never part of any message.
 */
export async function callApi<T>({
  server,
  method = 'GET',
  path,
  json,
  raw,
  headers = {},
  timeoutMs = 60_000,
}: CallApiParameters): Promise<{ status: number; body: T }> {
  const url = `${server}${path}`
  let response: Response
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(raw ? { 'content-type': raw.contentType } : {}),
        ...headers,
      },
      body: json !== undefined ? JSON.stringify(json) : raw?.body,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name
    throw new BaseError(`cannot reach the teefn server at ${server} (${cause}).`, {
      code: 'SERVER_UNREACHABLE',
      hint: 'Start it (teefn node) or pass --server <url> (or set TEEFN_SERVER).',
    })
  }
  const text = await response.text()
  let body: unknown
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
    throw new ApiRequestError(
      response.status,
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `${response.statusText || 'no error message'} (${url})`,
    )
  }
  if (body === undefined)
    throw new BaseError(`the server at ${server} answered ${path} without JSON.`, { code: 'BAD_ANSWER' })
  return { status: response.status, body: body as T }
}
