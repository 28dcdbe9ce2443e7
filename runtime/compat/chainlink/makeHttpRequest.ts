/**
 * `Functions.makeHttpRequest` on top of the sandbox's own `fetch`, so every fetch limit, the network policy and
 * `--mock` apply. Like Chainlink's, it never throws: a network error, an HTTP status outside 2xx, a timeout or an
 * unreadable body resolve `{ error: true, message, code, response? }`. Bundled into a `--compat chainlink` function.
 */
export type MakeHttpRequestParameters = {
  url: string
  method?: string
  headers?: Record<string, string>
  /** Appended to the URL as its query string. */
  params?: Record<string, string | number | boolean>
  /** The body: a string as is, anything else as JSON. */
  data?: unknown
  /** In ms; Chainlink's default (3 s). The sandbox's per-fetch timeout still applies. */
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

const defaultTimeoutMs = 3_000

export async function makeHttpRequest(
  parameters: MakeHttpRequestParameters,
): Promise<MakeHttpRequestReturnType> {
  const { method = 'GET', headers = {}, params, data, timeout = defaultTimeoutMs } = parameters
  const responseType = parameters.responseType ?? 'json'
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<MakeHttpRequestReturnType>((resolve) => {
    timer = setTimeout(
      () => resolve({ error: true, message: `timeout of ${timeout}ms exceeded`, code: 'ECONNABORTED' }),
      timeout,
    )
  })
  try {
    return await Promise.race([send(), timedOut])
  } finally {
    clearTimeout(timer)
  }

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
