import { concat, keccak256 } from 'ethers'

/**
 * The order in which gatekeepers submit a statement once k signatures are held: by keccak256(digest ‖ address)
 * ascending, so each statement has its own first submitter (load spreads) and every gatekeeper computes the same
 * order. Rank r waits r failover delays before it submits, in case those before it are down.
 */
export function submitterOrder(digest: string, gatekeepers: readonly string[]): string[] {
  const keyed = gatekeepers.map((address) => ({ address, key: BigInt(keccak256(concat([digest, address]))) }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map((entry) => entry.address)
}

/** `gatekeeper`'s rank in `submitterOrder` (0: submits first); -1 when it is not a gatekeeper. */
export function submitterRank(digest: string, gatekeepers: readonly string[], gatekeeper: string): number {
  const lower = gatekeeper.toLowerCase()
  return submitterOrder(digest, gatekeepers).findIndex((address) => address.toLowerCase() === lower)
}
