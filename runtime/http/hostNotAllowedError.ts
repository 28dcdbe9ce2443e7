import type { NetworkPolicyDecision } from './createNetworkPolicy.js'
import { FetchError } from './FetchError.js'

/** The `HOST_NOT_ALLOWED` error for a policy denial: what was denied, why, and the `--allow-host` that admits it. */
export function hostNotAllowedError(
  decision: Extract<NetworkPolicyDecision, { allowed: false }>,
): FetchError {
  return new FetchError(
    `${decision.reason}; fetches to loopback, private, link-local and metadata addresses are denied.`,
    {
      code: 'HOST_NOT_ALLOWED',
      hint: `If you trust it, allow it explicitly with --allow-host ${decision.allowHostSuggestion}`,
    },
  )
}
