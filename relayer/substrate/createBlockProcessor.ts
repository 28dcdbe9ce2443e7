import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { RequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import { collectFindings, type ResultFinding } from './collectFindings.js'
import type { Checkpoint, SubstrateStateStore } from './createSubstrateStateStore.js'
import { readBlock } from './readBlock.js'
import type { SubstrateBlock, SubstrateTrigger } from './SubstrateTrigger.js'

export type SubstrateWatcherCounters = {
  /** Blocks fully processed. */
  blocks: number
  /** Requests found (a request seen again after a restart or a reorg counts again; its job is one). */
  requests: number
  /** Requests not queued because their result is already on-chain. */
  alreadyDelivered: number
  /** teefn remarks that did not decode: ignored. */
  malformed: number
  /** Matched events whose data could not be found (e.g. behind an opaque wrapper). */
  unreadable: number
  /** Result remarks seen, and those from trusted senders indexed as delivered. */
  results: number
  resultsIndexed: number
  /** Reorganizations under the checkpoint (best mode). */
  reorgs: number
  /** Failed block reads or Redis writes (each retried). */
  errors: number
}

/** Counters at zero, for a watcher that starts. */
export function emptyWatcherCounters(): SubstrateWatcherCounters {
  return {
    blocks: 0,
    requests: 0,
    alreadyDelivered: 0,
    malformed: 0,
    unreadable: 0,
    results: 0,
    resultsIndexed: 0,
    reorgs: 0,
    errors: 0,
  }
}

export type CreateBlockProcessorParameters = {
  api: ApiPromise
  /** The genesis hash. */
  chainId: Hex
  store: SubstrateStateStore
  enqueuer: RequestEnqueuer
  triggers: readonly SubstrateTrigger[]
  /** Lowercase AccountId32 hex of the accounts whose results count as delivered. */
  trusted: ReadonlySet<string>
  /**
   * Whether a quorum result from any other sender answers its request (another node of the quorum delivered it):
   * then it is indexed as delivered too. Left out, such results are only counted.
   */
  acceptQuorumResult?: ((finding: ResultFinding) => Promise<boolean>) | undefined
  /** The checkpoint's name (one per watcher of a chain). */
  name: string
  /** The last block processed before (from the store), if any. */
  checkpoint: Checkpoint | undefined
  /** Blocks processed again when the chain reorganized under the checkpoint. */
  reorgRescanDepth: number
  /** Updated as blocks are processed. */
  counters: SubstrateWatcherCounters
  /** Asked after a block was read: true drops it unprocessed (the watcher is stopping). */
  stopped?: (() => boolean) | undefined
  logger?: Logger | undefined
}

export type BlockProcessor = {
  /** Processes block `number` and moves the checkpoint past it; resolves with the next block to process. */
  step(number: number): Promise<number>
  /** The last block fully processed. */
  readonly checkpoint: Checkpoint | undefined
}

/**
 * What the Substrate watcher does per block: reads it (`readBlock`), sorts what the triggers found
 * (`collectFindings`), indexes trusted results as delivered, queues the requests whose result is not indexed yet,
 * then moves the checkpoint in Redis. A block whose parent is not the checkpoint means the chain reorganized
 * under it (best mode): the checkpoint goes back `reorgRescanDepth` blocks and they are processed again; their
 * requests keep their ids (extrinsic hashes), so only requests new to this fork become jobs.
 */
export function createBlockProcessor({
  api,
  chainId,
  store,
  enqueuer,
  triggers,
  trusted,
  acceptQuorumResult,
  name,
  checkpoint: stored,
  reorgRescanDepth,
  counters,
  stopped = () => false,
  logger,
}: CreateBlockProcessorParameters): BlockProcessor {
  let checkpoint = stored

  const queueFindings = async (block: SubstrateBlock) => {
    const found = collectFindings({ block, triggers, trusted, seenAt: Date.now(), logger })
    counters.results += found.results
    counters.malformed += found.malformed
    counters.unreadable += found.unreadable
    counters.errors += found.errors
    const accepted = []
    for (const { finding, record } of acceptQuorumResult ? found.quorumResults : []) {
      if (await acceptQuorumResult!(finding)) accepted.push({ requestId: finding.requestId, record })
      else logger?.warn({ block: block.number, requestId: finding.requestId }, 'quorum result not accepted')
    }
    const delivered = [...found.delivered, ...accepted]
    await store.markDelivered(delivered)
    counters.resultsIndexed += delivered.length
    counters.requests += found.requests.length
    if (found.requests.length === 0) return
    const done = await store.getDelivered(found.requests.map((request) => request.requestId))
    const fresh = found.requests.filter((_, index) => done[index] === undefined)
    counters.alreadyDelivered += found.requests.length - fresh.length
    if (fresh.length === 0) return
    await enqueuer.add(fresh)
    logger?.info(
      { block: block.number, requests: fresh.map((request) => request.requestId) },
      'requests queued',
    )
  }

  const rescanFrom = async (at: number, previous: Checkpoint): Promise<number> => {
    counters.reorgs++
    const from = Math.max(0, previous.number - reorgRescanDepth + 1)
    const parent = from === 0 ? undefined : (await api.rpc.chain.getBlockHash(from - 1)).toHex()
    logger?.warn({ at, rescanFrom: from }, 'chain reorganized under the checkpoint')
    checkpoint = parent ? { number: from - 1, hash: parent } : undefined
    if (checkpoint) await store.setCheckpoint(name, checkpoint)
    return from
  }

  return {
    async step(number) {
      const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
      const block = await readBlock(api, hash, chainId)
      if (stopped()) return number
      if (checkpoint && block.number === checkpoint.number + 1 && block.parentHash !== checkpoint.hash) {
        return rescanFrom(block.number, checkpoint)
      }
      await queueFindings(block)
      checkpoint = { number: block.number, hash: block.hash }
      await store.setCheckpoint(name, checkpoint)
      counters.blocks++
      return block.number + 1
    },
    get checkpoint() {
      return checkpoint
    },
  }
}
