import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '../../runtime/bytes.js'

/**
 * Which turn `worker`'s node has to submit a request's quorum (docs/protocol.md, section 6): the signers held,
 * ordered by `keccak256(requestId ‖ signer address)` (32 + 20 bytes), lowest first; 0 submits at once, rank r
 * after r × failoverDelayMs. Deterministic per request and spread across nodes from one request to the next.
 * A worker not among `signers` ranks last.
 */
export function submitterRank(requestId: string, worker: string, signers: readonly string[]): number {
  const key = (signer: string) =>
    bytesToHex(keccak_256(new Uint8Array([...hexToBytes(requestId)!, ...hexToBytes(signer)!])))
  const own = key(worker)
  const keys = [...new Set(signers.map((signer) => signer.toLowerCase()))].map(key)
  if (!keys.includes(own)) return keys.length
  return keys.filter((other) => other < own).length
}
