import { isIPv4, isIPv6 } from 'node:net'
import {
  type AddressKind,
  addressKindDescriptions,
  canonicalIPv6,
  classifyAddress,
} from './classifyAddress.js'
import { type AllowHost, parseAllowHost } from './parseAllowHost.js'

export type CreateNetworkPolicyParameters = {
  /**
   * Hosts that may be fetched even when they resolve to a denied address: `host` (any port) or `host:port`,
   * IPv6 as `[::1]:8080`. An entry matches the URL's host name or the address it resolved to.
   */
  allowHosts?: readonly string[] | undefined
}

export type NetworkPolicyCheckParameters = {
  /** The host as written in the URL (`new URL(u).hostname`; brackets around IPv6 are accepted). */
  hostname: string
  port: number
  /** The IP address the connection would go to: the URL's IP literal, or one address its name resolved to. */
  address: string
}

export type NetworkPolicyDecision =
  | {
      allowed: true
      kind: AddressKind
      /** The allowlist entry that admitted a non-public address, as `host` or `host:port`. */
      allowedBy: string | undefined
    }
  | {
      allowed: false
      kind: Exclude<AddressKind, 'public'> | 'invalid'
      /** Says which host and address, and what kind: `localhost:8080 resolves to 127.0.0.1, a loopback address`. */
      reason: string
      /** The `--allow-host` value that would admit it. */
      allowHostSuggestion: string
    }

export type NetworkPolicy = {
  readonly allowHosts: readonly AllowHost[]
  /** Decides whether a connection to `address` for `hostname:port` may be made. Pure; no I/O. */
  check(parameters: NetworkPolicyCheckParameters): NetworkPolicyDecision
}

/**
 * Creates the network policy for host fetches: public unicast addresses are allowed; loopback, private,
 * link-local (metadata included), multicast, CGNAT, unspecified, broadcast and reserved addresses, and IPv6
 * forms embedding such an IPv4, are denied unless allowlisted. The check runs on resolved addresses,
 * so a public-looking name that resolves to 127.0.0.1 is denied too.
 *
 * @example
 * const policy = createNetworkPolicy({ allowHosts: ['127.0.0.1:8080'] })
 * policy.check({ hostname: 'localhost', port: 8080, address: '127.0.0.1' }).allowed // true
 * policy.check({ hostname: 'localhost', port: 9090, address: '127.0.0.1' }).allowed // false
 */
export function createNetworkPolicy(parameters: CreateNetworkPolicyParameters = {}): NetworkPolicy {
  const allowHosts = Object.freeze((parameters.allowHosts ?? []).map(parseAllowHost))

  function check({ hostname, port, address }: NetworkPolicyCheckParameters): NetworkPolicyDecision {
    const name = normalizeHostname(hostname)
    const target = formatHostPort(name, port)
    let classification: ReturnType<typeof classifyAddress>
    try {
      classification = classifyAddress(address)
    } catch {
      return {
        allowed: false,
        kind: 'invalid',
        reason: `${target} resolves to ${JSON.stringify(address)}, which is not an IP address`,
        allowHostSuggestion: target,
      }
    }
    if (classification.kind === 'public') return { allowed: true, kind: 'public', allowedBy: undefined }

    const resolved = comparableAddress(classification.address)
    const entry = allowHosts.find(
      (allow) =>
        (allow.port === undefined || allow.port === port) &&
        (allow.host === name || (allow.type === 'ip' && comparableAddress(allow.host) === resolved)),
    )
    if (entry) {
      return { allowed: true, kind: classification.kind, allowedBy: formatHostPort(entry.host, entry.port) }
    }

    const description = addressKindDescriptions[classification.kind]
    const embedded = classification.embeddedIPv4 ? ` (embedding ${classification.embeddedIPv4})` : ''
    const isLiteral = comparableAddress(name) === resolved
    return {
      allowed: false,
      kind: classification.kind,
      reason: isLiteral
        ? `${target} is ${description}${embedded}`
        : `${target} resolves to ${classification.address}, ${description}${embedded}`,
      allowHostSuggestion: target,
    }
  }

  return { allowHosts, check }
}

/** `host:port`, with IPv6 in brackets; just `host` when port is undefined. */
export function formatHostPort(host: string, port: number | undefined): string {
  const shown = isIPv6(host) ? `[${host}]` : host
  return port === undefined ? shown : `${shown}:${port}`
}

function normalizeHostname(hostname: string): string {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  if (isIPv6(bare)) return canonicalIPv6(bare)
  return bare.toLowerCase().replace(/\.$/, '')
}

// IPv4-mapped IPv6 reaches the same socket as its IPv4, so `127.0.0.1` in the allowlist also admits `::ffff:127.0.0.1`.
function comparableAddress(host: string): string | undefined {
  if (isIPv4(host)) return host
  if (!isIPv6(host)) return undefined
  const canonical = canonicalIPv6(host)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical)
  if (!mapped) return canonical
  const high = Number.parseInt(mapped[1]!, 16)
  const low = Number.parseInt(mapped[2]!, 16)
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}
