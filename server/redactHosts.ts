/** What a redacted URL or host reads as. */
export const redactedHost = '[host]'

const url = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()[\]{}]+/gi
const afterNetworkError =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)(\s+)[^\s,;)]+/g
const ipv6 = /\[[0-9a-f:.]+\](:\d{1,5})?/gi
const ipv4 = /\b\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?\b/g
/** `name:port` and `a.b.c:port`: how Node and ioredis name the host they could not reach. */
const hostAndPort = /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{2,5}\b/gi

/**
 * Text for an API answer without the node's internals: URLs, IP addresses, `host:port` and the host a DNS or
 * connection error names become `[host]`. Failures of the workers' RPC endpoints and of Redis end up in job
 * failure reasons and health details, which would otherwise tell any caller where the node's infrastructure is.
 */
export function redactHosts(text: string): string {
  return text
    .replace(url, redactedHost)
    .replace(afterNetworkError, `$1$2${redactedHost}`)
    .replace(ipv6, redactedHost)
    .replace(ipv4, redactedHost)
    .replace(hostAndPort, redactedHost)
}
