import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { HostFetchAgents } from './hostFetch.js'

export type KeepAliveAgentsForParameters = {
  /** The invocation's allowlist: invocations share sockets only with invocations allowed the same hosts. */
  allowHosts: readonly string[]
}

const pools = new Map<string, HostFetchAgents>()
const maxPools = 64
const agentOptions = { keepAlive: true, keepAliveMsecs: 1_000, maxFreeSockets: 16, timeout: 30_000 }

/**
 * Keep-alive connection pools shared by the invocations of this thread that run under the same network
 * policy. A pooled socket was checked against that policy when it connected (after DNS, on the address it
 * connected to), so any invocation with the same allowlist may reuse it; one with a different allowlist
 * never does. Reuse saves a TCP (and TLS) handshake per fetch of a function that runs again and again.
 */
export function keepAliveAgentsFor({ allowHosts }: KeepAliveAgentsForParameters): HostFetchAgents {
  const key = [...allowHosts]
    .map((entry) => entry.toLowerCase())
    .sort()
    .join(' ')
  let agents = pools.get(key)
  if (!agents) {
    if (pools.size >= maxPools) {
      const [oldestKey, oldest] = pools.entries().next().value!
      oldest.http.destroy()
      oldest.https.destroy()
      pools.delete(oldestKey)
    }
    agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) }
    pools.set(key, agents)
  }
  return agents
}
