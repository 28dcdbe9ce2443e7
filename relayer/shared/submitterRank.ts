import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '../../runtime/bytes.js'

/**
 * The order in which nodes take their turn to submit something every one of them holds (docs/protocol.md,
 * sections 5 and 6): `members` (each an EVM address or an sr25519 public key; duplicates in any case dropped)
 * ordered by `keccak256(key ‖ member)` (the 32-byte request id or statement digest, then the member's bytes),
 * lowest first. Deterministic per key and spread across members from one key to the next.
 */
export function submitterOrder(key: string, members: readonly string[]): string[] {
  const prefix = hexToBytes(key)!
  const seen = new Set<string>()
  return members
    .filter((member) => !seen.has(member.toLowerCase()) && seen.add(member.toLowerCase()))
    .map((member) => ({
      member,
      sortKey: bytesToHex(keccak_256(new Uint8Array([...prefix, ...hexToBytes(member)!]))),
    }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .map(({ member }) => member)
}

/**
 * `worker`'s turn in `submitterOrder(key, members)`: 0 submits at once, rank r after r × the failover delay. A
 * worker not among `members` ranks last (`members.length`, duplicates dropped).
 */
export function submitterRank(key: string, worker: string, members: readonly string[]): number {
  const order = submitterOrder(key, members)
  const rank = order.findIndex((member) => member.toLowerCase() === worker.toLowerCase())
  return rank < 0 ? order.length : rank
}
