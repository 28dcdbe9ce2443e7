import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '../../runtime/bytes.js'

/**
 * Which turn `worker`'s node has to submit a request's quorum (docs/protocol.md, section 6): the members (every
 * node's worker: an EVM address, or an sr25519 public key), ordered by `keccak256(requestId ‖ member)` (32 + 20 or
 * 32 bytes), lowest first; 0 submits at once, rank r after r × failoverDelayMs. Deterministic per request and
 * spread across nodes from one request to the next. A worker not among `members` ranks last.
 */
export function submitterRank(requestId: string, worker: string, members: readonly string[]): number {
  const key = (member: string) =>
    bytesToHex(keccak_256(new Uint8Array([...hexToBytes(requestId)!, ...hexToBytes(member)!])))
  const own = key(worker)
  const keys = [...new Set(members.map((member) => member.toLowerCase()))].map(key)
  if (!keys.includes(own)) return keys.length
  return keys.filter((other) => other < own).length
}
