/**
 * How errors and logs name an RPC endpoint: its host (and port) only. Paths, query strings and user info
 * often carry API keys (`wss://rpc.example/v1/<key>`), so they never leave the reader.
 */
export function endpointHost(url: string): string {
  try {
    return new URL(url).host || '(no host)'
  } catch {
    return '(invalid url)'
  }
}

const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi

/** `message` with every URL in it cut down to its host: for error texts that may quote an endpoint. */
export function redactEndpoints(message: string): string {
  return message.replace(urlPattern, (url) => endpointHost(url))
}
