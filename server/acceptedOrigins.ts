import { nodeOrigin } from './uploadMessage.js'

const loopbackHosts = ['127.0.0.1', 'localhost', '[::1]']

/**
 * The origins a signature may name for a node reached at `url`: its origin, and for a loopback address the other
 * loopback names at the same port (they reach the same process: no other node can be there).
 */
export function acceptedOrigins(url: string | undefined): string[] {
  if (url === undefined) return []
  const parsed = new URL(url)
  if (!loopbackHosts.includes(parsed.hostname)) return [nodeOrigin(url)]
  return [
    nodeOrigin(url),
    ...loopbackHosts
      .filter((host) => host !== parsed.hostname)
      .map((host) => nodeOrigin(`${parsed.protocol}//${host}${parsed.port ? `:${parsed.port}` : ''}`)),
  ]
}
