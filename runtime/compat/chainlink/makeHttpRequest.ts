/**
 * `Functions.makeHttpRequest` on top of the sandbox's own `fetch`, so every fetch limit, the network policy and
 * `--mock` apply. Like Chainlink's (functions-toolkit's `Functions.ts`), it does not throw on HTTP failure: a
 * network error, an HTTP status outside 2xx, a timeout or an unreadable body resolve
 * `{ error: true, message, code, response? }`. It throws, with Chainlink's messages, for a request over the
 * invocation's request limit (`exceeded numAllowedQueries`), a timeout over 9 s and a URL over 2048 characters.
 * Bundled into a `--compat chainlink` function.
 */
export type MakeHttpRequestParameters = {
  url: string
  method?: string
  headers?: Record<string, string>
  /** Appended to the URL as its query string. */
  params?: Record<string, string | number | boolean>
  /** The body: a string as is, anything else as JSON. */
  data?: unknown
  /** In ms; Chainlink's default 5 s, at most 9 s. The sandbox's per-fetch timeout still applies. */
  timeout?: number
  responseType?: 'json' | 'text' | 'arraybuffer'
}

export type HttpResponseData = {
  data: unknown
  status: number
  statusText: string
  headers: Record<string, string>
}

export type MakeHttpRequestReturnType =
  | ({ error: false } & HttpResponseData)
  | { error: true; message: string; code: string; response?: HttpResponseData }

const defaultTimeoutMs = 5_000
const maxTimeoutMs = 9_000
const maxUrlLength = 2048

export async function makeHttpRequest(
  parameters: MakeHttpRequestParameters,
): Promise<MakeHttpRequestReturnType> {
  const { method = 'GET', headers = {}, params, data, timeout = defaultTimeoutMs } = parameters
  const responseType = parameters.responseType ?? 'json'
  if (timeout > maxTimeoutMs) throw Error(`HTTP request timeout >${maxTimeoutMs}`)
  if (String(parameters.url).length > maxUrlLength) throw Error(`HTTP request URL length >${maxUrlLength}`)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<MakeHttpRequestReturnType>((resolve) => {
    timer = setTimeout(
      () => resolve({ error: true, message: `timeout of ${timeout}ms exceeded`, code: 'ECONNABORTED' }),
      timeout,
    )
  })
  let answer: MakeHttpRequestReturnType
  try {
    answer = await Promise.race([send(), timedOut])
  } finally {
    clearTimeout(timer)
  }
  // The sandbox refused the request: over the invocation's limit of requests, which Chainlink throws for.
  if (answer.error && answer.code === 'TOO_MANY_REQUESTS')
    throw Error(`exceeded numAllowedQueries: ${answer.message}`)
  return answer

  async function send(): Promise<MakeHttpRequestReturnType> {
    try {
      let url = String(parameters.url)
      if (params) {
        const query = Object.entries(params)
          .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
          .join('&')
        if (query) url += (url.includes('?') ? '&' : '?') + query
      }
      const requestHeaders = { ...headers }
      let body: string | undefined
      if (data !== undefined) {
        body = typeof data === 'string' ? data : JSON.stringify(data)
        const named = Object.keys(requestHeaders).some((name) => name.toLowerCase() === 'content-type')
        if (typeof data !== 'string' && !named) requestHeaders['content-type'] = 'application/json'
      }
      const response = await fetch(url, { method: method.toUpperCase(), headers: requestHeaders, body })
      const responseHeaders: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value
      })
      const read: HttpResponseData = {
        data: await readData(response, responseType),
        status: response.status,
        statusText: response.statusText,
        headers: responseHeaders,
      }
      if (response.status < 200 || response.status > 299) {
        return {
          error: true,
          message: `Request failed with status code ${response.status}`,
          code: response.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
          response: read,
        }
      }
      return { error: false, ...read }
    } catch (error) {
      const { message, code } = error as { message?: unknown; code?: unknown }
      return {
        error: true,
        message: typeof message === 'string' ? message : String(error),
        code: typeof code === 'string' ? code : 'ERR_NETWORK',
      }
    }
  }
}

/** JSON falls back to the text when the body is not JSON, as axios does. */
async function readData(response: Response, responseType: string): Promise<unknown> {
  if (responseType === 'arraybuffer') return await response.arrayBuffer()
  const text = await response.text()
  if (responseType === 'text') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
