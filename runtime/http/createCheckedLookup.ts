import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import type { NetworkPolicy, NetworkPolicyDecision } from './createNetworkPolicy.js'
import { hostNotAllowedError } from './hostNotAllowedError.js'

export type CreateCheckedLookupParameters = {
  policy: NetworkPolicy
  /** The port the connection is for; `lookup` itself is not told. */
  port: number
  /** Called with the first denial when no resolved address is allowed, before the lookup fails. */
  onDenied?: ((decision: Extract<NetworkPolicyDecision, { allowed: false }>) => void) | undefined
}

/**
 * A `lookup` for `http.request` / `net.connect` that resolves every address of the host, checks each with
 * the policy, and hands the socket only the addresses that passed. The socket then connects to an address
 * that was checked, so DNS rebinding between check and connect cannot happen.
 * Denied candidates are dropped; if none is left the lookup fails with a `HOST_NOT_ALLOWED` `FetchError`
 * for the first denial (Node hands that error, unchanged, to the request's `error` event).
 *
 * Node skips `lookup` for IP-literal hosts: check those with the policy before connecting.
 */
export function createCheckedLookup(parameters: CreateCheckedLookupParameters): LookupFunction {
  const { policy, port, onDenied } = parameters
  return (hostname, options, callback) => {
    dnsLookup(
      hostname,
      { all: true, family: options.family ?? 0, hints: options.hints },
      (error, addresses) => {
        if (error) return callback(error, '', 0)
        const candidates = addresses as LookupAddress[]
        let denied: Extract<NetworkPolicyDecision, { allowed: false }> | undefined
        const allowed = candidates.filter((candidate) => {
          const decision = policy.check({ hostname, port, address: candidate.address })
          if (!decision.allowed) denied ??= decision
          return decision.allowed
        })
        if (allowed.length === 0) {
          if (denied) {
            onDenied?.(denied)
            return callback(hostNotAllowedError(denied), '', 0)
          }
          const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
          })
          return callback(notFound, '', 0)
        }
        if (options.all) return callback(null, allowed)
        const first = allowed[0]!
        callback(null, first.address, first.family)
      },
    )
  }
}
