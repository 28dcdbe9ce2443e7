import type { ApiPromise } from '@polkadot/api'
import { decodeAddress } from '@polkadot/util-crypto'
import type { Redis } from 'ioredis'
import { bytesToHex, type Hex } from '../../runtime/bytes.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { createRequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import { createBlockLoop } from './createBlockLoop.js'
import {
  type CreateBlockProcessorParameters,
  createBlockProcessor,
  emptyWatcherCounters,
  type SubstrateWatcherCounters,
} from './createBlockProcessor.js'
import { createBlockWaiters } from './createBlockWaiters.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import { type Checkpoint, createSubstrateStateStore } from './createSubstrateStateStore.js'
import { followHeads, readHead, type SubstrateHeadMode } from './followHeads.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import type { SubstrateTrigger } from './SubstrateTrigger.js'

export type { SubstrateHeadMode } from './followHeads.js'

export type StartSubstrateWatcherParameters = {
  api: ApiPromise
  /** Redis for the request queue and the checkpoint (`createRedisConnection`). */
  connection: Redis
  mode?: SubstrateHeadMode | undefined
  /** How chain events become requests; the remark protocol by default. */
  triggers?: readonly SubstrateTrigger[] | undefined
  /**
   * Accounts (SS58 or 0x AccountId32) whose result remarks count as delivered: the submitters' fee payers.
   * Results from anyone else are ignored, so nobody can block a delivery with a fake result.
   */
  resultSenders?: readonly string[] | undefined
  /**
   * Whether a quorum result remark from another sender answers its request (`createQuorumResultAcceptor`): such
   * results are indexed as delivered too, so every node of a quorum stops once one of them delivered.
   */
  acceptQuorumResult?: CreateBlockProcessorParameters['acceptQuorumResult']
  /** Checkpoint name, when several watchers follow one chain with different triggers; `default` by default. */
  name?: string | undefined
  /** First block to process when there is no checkpoint yet; the current head by default. */
  startBlock?: number | 'head' | undefined
  /** Best mode: blocks processed again when the chain reorganizes under the checkpoint; 32 by default. */
  reorgRescanDepth?: number | undefined
  /** Safety net besides the head subscription: the head is polled this often; 6 s by default. */
  pollIntervalMs?: number | undefined
  /** First delay after a failed block read; doubles up to 30 s. 500 ms by default. */
  retryDelayMs?: number | undefined
  logger?: Logger | undefined
}

export type { SubstrateWatcherCounters } from './createBlockProcessor.js'

export type SubstrateWatcher = {
  readonly chainId: Hex
  counters(): SubstrateWatcherCounters
  /** The last block fully processed. */
  checkpoint(): Checkpoint | undefined
  /** Resolves once blocks up to `number` are processed (for tests, tools and graceful handovers). */
  waitForBlock(number: number): Promise<void>
  /** Stops after the block in progress; the checkpoint stays for the next start. */
  stop(): Promise<void>
}

/**
 * Follows a Substrate chain and turns its requests into jobs. Blocks are processed in order from the
 * checkpoint in Redis (per genesis hash and name) up to the current best or finalized head, so a restart or
 * a dropped connection backfills what was missed; jobs carry `requestJobId` ids, so a request seen twice is
 * one job. Bad chain data is counted and logged, never fatal; a failed read is retried with backoff.
 *
 * The head subscription fires at once with the current head, and again after a reconnect: both only move
 * the target, the loop does the work, so nothing is processed twice by it.
 */
export async function startSubstrateWatcher({
  api,
  connection,
  mode = 'finalized',
  triggers = [createRemarkTrigger()],
  resultSenders = [],
  acceptQuorumResult,
  name = 'default',
  startBlock = 'head',
  reorgRescanDepth = 32,
  pollIntervalMs = 6_000,
  retryDelayMs = 500,
  logger = createLogger({ name: 'relayer-substrate' }),
}: StartSubstrateWatcherParameters): Promise<SubstrateWatcher> {
  const chainId = api.genesisHash.toHex()
  const log = logger.child({ component: 'watcher', chainId, mode, watcher: name })
  const store = createSubstrateStateStore({ redis: connection, chainId })
  const enqueuer = createRequestEnqueuer({ connection })
  const trusted = new Set(resultSenders.map(accountHex))
  const counters = emptyWatcherCounters()
  const waiters = createBlockWaiters()
  let stopped = false

  const processor = createBlockProcessor({
    api,
    chainId,
    store,
    enqueuer,
    triggers,
    trusted,
    acceptQuorumResult,
    name,
    checkpoint: await store.getCheckpoint(name),
    reorgRescanDepth,
    counters,
    stopped: () => stopped,
    logger: log,
  })
  const { checkpoint } = processor
  if (checkpoint) waiters.reached(checkpoint.number)
  const step = async (number: number) => {
    const next = await processor.step(number)
    waiters.reached(processor.checkpoint?.number ?? Number.NEGATIVE_INFINITY)
    return next
  }

  const head = await readHead(api, mode)
  const from = checkpoint ? checkpoint.number + 1 : startBlock === 'head' ? head : startBlock
  const loop = createBlockLoop({
    from,
    target: head,
    step,
    retryDelayMs,
    onError: (error, block, retryInMs) => {
      counters.errors++
      const err = (error as Error)?.message
      log.warn({ block, err, retryInMs }, 'block processing failed; retrying')
    },
  })
  // The subscription fires at once with the current head, and again after a reconnect: it only moves the target.
  const heads = await followHeads(api, { mode, pollIntervalMs, onHead: (number) => loop.raise(number) })
  log.info({ from, checkpoint: checkpoint?.number, head }, 'substrate watcher started')

  let stopping: Promise<void> | undefined
  return {
    chainId,
    counters: () => ({ ...counters }),
    checkpoint: () => (processor.checkpoint ? { ...processor.checkpoint } : undefined),
    waitForBlock: (number) => waiters.wait(number),
    stop() {
      stopping ??= (async () => {
        stopped = true
        heads.stop()
        await loop.stop()
        waiters.fail(stoppedError())
        await enqueuer.close()
        log.info({ checkpoint: processor.checkpoint?.number }, 'substrate watcher stopped')
      })()
      return stopping
    },
  }
}

function stoppedError(): SubstrateRelayerError {
  return new SubstrateRelayerError('The substrate watcher was stopped.', {
    code: 'SUBSTRATE_UNAVAILABLE',
    details: 'waitForBlock was waiting for a block the watcher will not process',
  })
}

/** Lowercase 0x AccountId32 of an SS58 address or hex account. */
export function accountHex(account: string): string {
  return bytesToHex(decodeAddress(account)).toLowerCase()
}
