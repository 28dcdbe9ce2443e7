import type { ApiPromise } from '@polkadot/api'

/**
 * `finalized` (default) processes only finalized blocks: a request is acted on once and never retracted.
 * `best` processes the best chain as it grows: lower latency, but a request in a block that is later retracted
 * may already be running; see the README ("Forks").
 */
export type SubstrateHeadMode = 'best' | 'finalized'

export type FollowHeadsParameters = {
  mode: SubstrateHeadMode
  /** The head is also read this often, besides the subscription (a safety net). */
  pollIntervalMs: number
  /** Called with head numbers as they come (not always higher: the caller keeps the highest). */
  onHead: (number: number) => void
}

/** The number of the best or the finalized head now. */
export async function readHead(api: ApiPromise, mode: SubstrateHeadMode): Promise<number> {
  if (mode === 'best') return (await api.rpc.chain.getHeader()).number.toNumber()
  const hash = await api.rpc.chain.getFinalizedHead()
  return (await api.rpc.chain.getHeader(hash)).number.toNumber()
}

/**
 * Tells `onHead` where the best or finalized head is: every new head of the subscription (which fires at once
 * with the current one, and again after the provider reconnects), a poll every `pollIntervalMs`, and a read on
 * every reconnect. Failed reads are skipped: the next one tells.
 */
export async function followHeads(
  api: ApiPromise,
  { mode, pollIntervalMs, onHead }: FollowHeadsParameters,
): Promise<{ stop(): void }> {
  const onHeader = (header: { number: { toNumber(): number } }) => onHead(header.number.toNumber())
  const unsubscribe =
    mode === 'best'
      ? await api.rpc.chain.subscribeNewHeads(onHeader)
      : await api.rpc.chain.subscribeFinalizedHeads(onHeader)
  const read = () => {
    readHead(api, mode).then(onHead, () => {})
  }
  const poll = setInterval(read, pollIntervalMs)
  poll.unref()
  api.on('connected', read)
  return {
    stop() {
      clearInterval(poll)
      api.off('connected', read)
      unsubscribe()
    },
  }
}
