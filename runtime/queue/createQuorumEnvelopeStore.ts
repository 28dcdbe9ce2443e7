import type { Redis } from 'ioredis'
import type { Envelope } from '../enclave/envelope.js'
import { parseEnvelope } from '../enclave/envelope.js'
import { type QuorumRequestRef, quorumEnvelopeKey, quorumRequestRefOf } from './quorumEnvelopeKey.js'

export type CreateQuorumEnvelopeStoreParameters = {
  connection: Redis
  /** Most envelopes kept per request (distinct signers); 32 (`MAX_QUORUM_ANSWERS`) by default. */
  maxPerRequest?: number | undefined
  /** How long a request's envelopes are kept after the last one arrived; an hour by default. */
  ttlSeconds?: number | undefined
}

/**
 * `stored`: kept; `known`: this signer's envelope for the request and codeHash is already kept (first wins);
 * `full`: at the bound.
 */
export type AddQuorumEnvelopeOutcome = 'stored' | 'known' | 'full'

export type QuorumEnvelopeStore = {
  /**
   * Keeps `envelope` under its signer and codeHash (a request run again after an upgrade is answered anew), which
   * the caller has verified (`verifyParsedEnvelope`).
   */
  add(envelope: Envelope): Promise<AddQuorumEnvelopeOutcome>
  /** The envelopes kept for a request, ordered by signer (lowercase address), then codeHash; malformed ones skipped. */
  list(ref: QuorumRequestRef): Promise<Envelope[]>
}

// First envelope per signer and codeHash wins (a signer cannot swap its answer later), bounded per request, TTL
// refreshed. A stored envelope is announced on `<key>:stored` (`quorumEnvelopeChannel`) so a waiting delivery wakes.
const addScript = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('PUBLISH', KEYS[1] .. ':stored', ARGV[1])
return 1`

/**
 * One request's signed envelopes from every signer this node heard of (its own worker and its peers), in Redis
 * per (chain, consumer, requestId), signer and codeHash: what a node's submitter tallies to build a quorum envelope.
 */
export function createQuorumEnvelopeStore({
  connection,
  maxPerRequest = 32,
  ttlSeconds = 3600,
}: CreateQuorumEnvelopeStoreParameters): QuorumEnvelopeStore {
  return {
    async add(envelope) {
      const key = quorumEnvelopeKey(quorumRequestRefOf(envelope))
      const answer = await connection.eval(
        addScript,
        1,
        key,
        `${envelope.worker}:${envelope.codeHash}`.toLowerCase(),
        JSON.stringify(envelope),
        maxPerRequest,
        ttlSeconds,
      )
      return answer === 1 ? 'stored' : answer === 0 ? 'known' : 'full'
    },
    async list(ref) {
      const fields = await connection.hgetall(quorumEnvelopeKey(ref))
      return Object.keys(fields)
        .sort()
        .flatMap((field) => {
          try {
            return [parseEnvelope(JSON.parse(fields[field]!))]
          } catch {
            return []
          }
        })
    },
  }
}
