import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { Logger } from '../../runtime/logging/createLogger.js'

export type PushEnvelopeToPeersParameters = {
  /** The peers' API base URLs. */
  peers: readonly string[]
  envelope: Envelope
  /** Tries per peer; 6 by default (about 6 s of backoff in all). */
  attempts?: number | undefined
  /** Per try; 5 s by default. */
  timeoutMs?: number | undefined
  logger?: Logger | undefined
}

/**
 * Posts a signed envelope to every peer's `POST /v1/envelopes`, each with its own retries (a peer restarting or
 * slow must not lose the answer). Resolves with the peers that took it; never rejects. A 4xx other than 429 is
 * final: the peer refused the envelope itself (another chain, a bound), and trying again would not change that.
 */
export async function pushEnvelopeToPeers({
  peers,
  envelope,
  attempts = 6,
  timeoutMs = 5_000,
  logger,
}: PushEnvelopeToPeersParameters): Promise<string[]> {
  const body = JSON.stringify(envelope)
  const pushOne = async (peer: string): Promise<boolean> => {
    const url = `${peer.replace(/\/+$/, '')}/v1/envelopes`
    let reason = ''
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.arrayBuffer()
        if (response.ok) return true
        reason = `HTTP ${response.status}`
        if (response.status >= 400 && response.status < 500 && response.status !== 429) break
      } catch (error) {
        reason = (error as Error).message
      }
    }
    logger?.warn({ peer, requestId: envelope.requestId, reason }, 'a peer did not take the envelope')
    return false
  }
  const taken = await Promise.all(peers.map(pushOne))
  return peers.filter((_, index) => taken[index])
}
