import type { Logger } from '../../runtime/logging/createLogger.js'

export type CreatePeerWorkersParameters = {
  /** The peers' API base URLs. */
  peers: readonly string[]
  /** Which of a peer's attested keys signs its envelopes: `evmAddress` or `sr25519`. */
  key: 'evmAddress' | 'sr25519'
  /** Per fetch; 1 s by default: a peer that is down must not hold a submission back for long. */
  timeoutMs?: number | undefined
  /** A peer whose key is unknown is asked again at most this often; 5 s by default. */
  retryMs?: number | undefined
  /** A known key is asked again (in the background) this long after it was read: a peer restarts with a new key; 60 s by default. */
  refreshMs?: number | undefined
  logger?: Logger | undefined
}

export type PeerWorkers = {
  /** The peers' worker keys known so far (lowercase); asks the peers not heard from yet first. */
  list(): Promise<string[]>
}

/**
 * The worker keys of the peer nodes, read once from each peer's `GET /v1/attestation`: the members a quorum's
 * submit order is computed over. Untrusted and only used for that order (the consumer checks every signature);
 * a peer that lies about its key can only change its own turn.
 */
export function createPeerWorkers({
  peers,
  key,
  timeoutMs = 1_000,
  retryMs = 5_000,
  refreshMs = 60_000,
  logger,
}: CreatePeerWorkersParameters): PeerWorkers {
  const known = new Map<string, string>()
  const askedAt = new Map<string, number>()

  const ask = async (peer: string) => {
    askedAt.set(peer, Date.now())
    try {
      const response = await fetch(`${peer.replace(/\/+$/, '')}/v1/attestation`, {
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const body = (await response.json()) as { publicKeys?: Record<string, unknown> }
      const value = body.publicKeys?.[key]
      if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40,64}$/.test(value)) {
        throw new Error(`no ${key} in its attestation`)
      }
      known.set(peer, value.toLowerCase())
    } catch (error) {
      logger?.warn({ peer, reason: (error as Error).message }, "a peer's worker key is unknown")
    }
  }

  return {
    async list() {
      const since = (peer: string) => Date.now() - (askedAt.get(peer) ?? 0)
      const stale = peers.filter((peer) => known.has(peer) && since(peer) >= refreshMs)
      for (const peer of stale) void ask(peer) // the old key serves until the new one is read
      await Promise.all(peers.filter((peer) => !known.has(peer) && since(peer) >= retryMs).map(ask))
      return [...known.values()]
    },
  }
}
