import { createRequire } from 'node:module'
import { isIPv4, isIPv6 } from 'node:net'
import type * as Ipaddr from 'ipaddr.js'

// ipaddr.js is CommonJS with `export =` and no named ESM exports; load it without esModuleInterop.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof Ipaddr

/**
 * What an IP address is, as far as the network policy cares. Only `public` is reachable by default.
 * `metadata` marks the cloud instance-metadata endpoints (169.254.169.254 and friends), which sit
 * inside link-local or private ranges but deserve their own name in error messages.
 */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'metadata'
  | 'multicast'
  | 'carrierGradeNat'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'

export type ClassifyAddressReturnType = {
  kind: AddressKind
  /** The address in canonical form (`::ffff:7f00:1` for `::ffff:127.0.0.1`, lower case, compressed). */
  address: string
  /** For IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo): the IPv4 that decided `kind`. */
  embeddedIPv4?: string | undefined
}

/** Human words for each kind, for error messages. */
export const addressKindDescriptions: Record<AddressKind, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  metadata: 'a cloud metadata address',
  multicast: 'a multicast address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved or documentation address',
}

// Cloud instance-metadata endpoints (AWS, GCP, Azure, ECS/EKS, Alibaba); all are denied by their range anyway.
const metadataAddresses = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  'fd00:ec2::254',
  'fd00:ec2::23',
])

const globalUnicastIPv6 = ipaddr.IPv6.parseCIDR('2000::/3')
const nat64WellKnown = ipaddr.IPv6.parseCIDR('64:ff9b::/96')

/**
 * Classifies an IP literal (IPv4 dotted quad or IPv6, without brackets) for the network policy.
 * Throws when `address` is not an IP address.
 *
 * IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`, Teredo `2001::/32`) take the kind of the embedded address, so `::ffff:127.0.0.1` is loopback.
 * IPv6 outside global unicast `2000::/3` is never public.
 *
 * @example
 * classifyAddress('169.254.169.254').kind // 'metadata'
 * classifyAddress('::ffff:10.0.0.1') // { kind: 'private', address: '::ffff:a00:1', embeddedIPv4: '10.0.0.1' }
 */
export function classifyAddress(address: string): ClassifyAddressReturnType {
  if (isIPv4(address)) {
    const ipv4 = ipaddr.IPv4.parse(address)
    return { kind: classifyIPv4(ipv4), address: ipv4.toString() }
  }
  if (!isIPv6(address)) throw new TypeError(`${JSON.stringify(address)} is not an IP address.`)
  const canonical = canonicalIPv6(address)
  const ipv6 = ipaddr.IPv6.parse(canonical)
  if (metadataAddresses.has(canonical)) return { kind: 'metadata', address: canonical }
  const embedded = embeddedIPv4(ipv6)
  if (embedded) {
    const kinds = embedded.map(classifyIPv4)
    const decisive = kinds.findIndex((kind) => kind !== 'public')
    const index = decisive === -1 ? 0 : decisive
    return { kind: kinds[index]!, address: canonical, embeddedIPv4: embedded[index]!.toString() }
  }
  return { kind: classifyIPv6(ipv6), address: canonical }
}

function classifyIPv4(address: Ipaddr.IPv4): AddressKind {
  if (metadataAddresses.has(address.toString())) return 'metadata'
  const range = address.range()
  switch (range) {
    case 'unicast':
    // AS112 and AMT are globally routed anycast services.
    case 'as112':
    case 'amt':
      return 'public'
    case 'loopback':
    case 'private':
    case 'linkLocal':
    case 'multicast':
    case 'carrierGradeNat':
    case 'unspecified':
    case 'broadcast':
      return range
    default:
      return 'reserved'
  }
}

function classifyIPv6(address: Ipaddr.IPv6): AddressKind {
  const range = address.range() as string
  switch (range) {
    case 'unicast':
    case 'as112v6':
    case 'amt':
      return address.match(globalUnicastIPv6) ? 'public' : 'reserved'
    case 'loopback':
    case 'linkLocal':
    case 'multicast':
    case 'unspecified':
      return range
    case 'uniqueLocal':
    case 'deprecatedSiteLocal':
    // 64:ff9b:1::/48 is NAT64 for local use only (RFC 8215).
    case 'rfc6052':
      return 'private'
    default:
      return 'reserved'
  }
}

/** The IPv4 addresses an IPv6 address stands for, if it is one of the translation forms. */
function embeddedIPv4(address: Ipaddr.IPv6): Ipaddr.IPv4[] | undefined {
  const parts = address.parts
  const fromParts = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  switch (address.range() as string) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [fromParts(parts[6]!, parts[7]!)]
    case 'rfc6052':
      return address.match(nat64WellKnown) ? [fromParts(parts[6]!, parts[7]!)] : undefined
    case '6to4':
      return [fromParts(parts[1]!, parts[2]!)]
    case 'teredo':
      // Server address in bits 32-63, client address (bit-inverted) in the last 32 bits.
      return [fromParts(parts[2]!, parts[3]!), fromParts(~parts[6]! & 0xffff, ~parts[7]! & 0xffff)]
    default:
      return undefined
  }
}

/**
 * The WHATWG URL form of an IPv6 literal, without its zone: lower case, compressed, a trailing dotted
 * IPv4 written in hex. ipaddr.js reads `::127.0.0.1` as `::ffff:127.0.0.1`, so it only sees this form.
 */
export function canonicalIPv6(address: string): string {
  const withoutZone = address.split('%')[0]!
  return new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1)
}
