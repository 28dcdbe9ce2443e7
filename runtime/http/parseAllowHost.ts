import { isIPv4, isIPv6 } from 'node:net'
import { canonicalIPv6 } from './classifyAddress.js'
import { InvalidAllowHostError } from './InvalidAllowHostError.js'

/** One entry of a network policy's allowlist. */
export type AllowHost = {
  /** A lower-case DNS name without a trailing dot, a dotted-quad IPv4, or a canonical IPv6 (no brackets). */
  host: string
  /** `ip` entries also match the resolved address of any URL host; `name` entries match the URL's host name. */
  type: 'name' | 'ip'
  /** Undefined: any port. */
  port: number | undefined
}

const labelPattern = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/

/**
 * Parses and validates an allowlist entry: `host` or `host:port`, where host is a DNS name or an IP literal
 * and IPv6 is written in brackets when it has a port (`[::1]:8080`; a bare `::1` means any port).
 * Names are normalized the way URLs normalize them (lower case, punycode, no trailing dot).
 * Throws {@link InvalidAllowHostError} for anything else (schemes, paths, wildcards, bad ports).
 *
 * @example
 * parseAllowHost('127.0.0.1:8080') // { host: '127.0.0.1', type: 'ip', port: 8080 }
 * parseAllowHost('Internal.Example.') // { host: 'internal.example', type: 'name', port: undefined }
 */
export function parseAllowHost(entry: string): AllowHost {
  if (typeof entry !== 'string' || entry.length === 0) throw new InvalidAllowHostError(String(entry), 'empty')
  if (/[\s/?#@*%\\]/.test(entry) || entry.includes('://')) {
    throw new InvalidAllowHostError(
      entry,
      'expected host or host:port, without scheme, path, credentials or wildcard',
    )
  }

  let host: string
  let portText: string | undefined
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry)
  if (bracketed) {
    host = bracketed[1]!
    portText = bracketed[2]
    if (!isIPv6(host) || host.includes('%'))
      throw new InvalidAllowHostError(entry, 'not an IPv6 address in brackets')
  } else if (isIPv6(entry) && !entry.includes('%')) {
    host = entry
  } else if (entry.includes('[') || entry.includes(']')) {
    throw new InvalidAllowHostError(entry, 'unbalanced brackets')
  } else {
    const colon = entry.lastIndexOf(':')
    if (colon !== -1 && entry.indexOf(':') !== colon) {
      throw new InvalidAllowHostError(entry, 'write an IPv6 address with a port as [address]:port')
    }
    host = colon === -1 ? entry : entry.slice(0, colon)
    portText = colon === -1 ? undefined : entry.slice(colon + 1)
  }

  const port = portText === undefined ? undefined : parsePort(entry, portText)
  if (isIPv6(host)) return { host: canonicalIPv6(host), type: 'ip', port }
  if (isIPv4(host)) return { host, type: 'ip', port }
  return { host: normalizeName(entry, host), type: 'name', port }
}

function parsePort(entry: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= 1 && port <= 65535))
    throw new InvalidAllowHostError(entry, `port ${JSON.stringify(text)} is not 1-65535`)
  return port
}

function normalizeName(entry: string, host: string): string {
  let hostname: string
  try {
    hostname = new URL(`http://${host}/`).hostname
  } catch {
    throw new InvalidAllowHostError(entry, 'not a valid host name')
  }
  // The URL parser turns forms like `127.1` or `0x7f.0.0.1` into an IPv4 address: refuse them rather than guess.
  if (isIPv4(hostname)) throw new InvalidAllowHostError(entry, `write the IPv4 address as ${hostname}`)
  hostname = hostname.replace(/\.$/, '')
  if (
    hostname.length === 0 ||
    hostname.length > 253 ||
    !hostname.split('.').every((label) => labelPattern.test(label))
  ) {
    throw new InvalidAllowHostError(entry, 'not a valid host name')
  }
  return hostname
}
