import type { ApiPromise } from '@polkadot/api'
import { u8aToHex } from '@polkadot/util'
import { decodeAddress } from '@polkadot/util-crypto'
import type { Redis } from 'ioredis'
import type { Hex } from '../../runtime/enclave/bytes.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import {
  type Checkpoint,
  createSubstrateStateStore,
  type DeliveredRecord,
} from './createSubstrateStateStore.js'
import { readBlock } from './readBlock.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import type { SubstrateBlock, SubstrateTrigger } from './SubstrateTrigger.js'

/**
 * `finalized` (default) processes only finalized blocks: a request is acted on once and never retracted.
 * `best` processes the best chain as it grows: lower latency, but a request in a block that is later retracted
 * may already be running; see the README ("Forks").
 */
export type SubstrateHeadMode = 'best' | 'finalized'

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
  const queue = openRequestQueue(connection)
  const trusted = new Set(resultSenders.map(accountHex))
  const counters: SubstrateWatcherCounters = {
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

  let checkpoint = await store.getCheckpoint(name)
  let target = await currentHead()
  let next = checkpoint ? checkpoint.number + 1 : startBlock === 'head' ? target : startBlock
  let stopped = false
  let wake: (() => void) | undefined
  const waiters = new Set<{ number: number; resolve: () => void; reject: (error: Error) => void }>()

  const kick = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const raiseTarget = (number: number) => {
    if (number > target) target = number
    kick()
  }
  const unsubscribe =
    mode === 'best'
      ? await api.rpc.chain.subscribeNewHeads((header) => raiseTarget(header.number.toNumber()))
      : await api.rpc.chain.subscribeFinalizedHeads((header) => raiseTarget(header.number.toNumber()))
  const poll = setInterval(() => {
    currentHead().then(raiseTarget, () => {})
  }, pollIntervalMs)
  poll.unref()
  const onConnected = () => {
    currentHead().then(raiseTarget, () => {})
  }
  api.on('connected', onConnected)
  log.info({ from: next, checkpoint: checkpoint?.number, head: target }, 'substrate watcher started')

  const loop = (async () => {
    let failures = 0
    while (!stopped) {
      if (next > target) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        continue
      }
      try {
        await step()
        failures = 0
      } catch (error) {
        if (stopped) break
        counters.errors++
        const delay = Math.min(30_000, retryDelayMs * 2 ** failures++)
        log.warn(
          { block: next, err: (error as Error)?.message, retryInMs: delay },
          'block processing failed; retrying',
        )
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    }
  })()

  async function currentHead(): Promise<number> {
    if (mode === 'best') return (await api.rpc.chain.getHeader()).number.toNumber()
    const hash = await api.rpc.chain.getFinalizedHead()
    return (await api.rpc.chain.getHeader(hash)).number.toNumber()
  }

  async function step(): Promise<void> {
    const hash = (await api.rpc.chain.getBlockHash(next)).toHex()
    const block = await readBlock(api, hash, chainId)
    if (stopped) return
    if (checkpoint && block.number === checkpoint.number + 1 && block.parentHash !== checkpoint.hash) {
      // The chain reorganized under the checkpoint (best mode): process the recent canonical blocks again;
      // their requests keep their ids (extrinsic hashes), so only requests new to this fork become jobs.
      counters.reorgs++
      const from = Math.max(0, checkpoint.number - reorgRescanDepth + 1)
      const parent = from === 0 ? undefined : (await api.rpc.chain.getBlockHash(from - 1)).toHex()
      log.warn({ at: block.number, rescanFrom: from }, 'chain reorganized under the checkpoint')
      checkpoint = parent ? { number: from - 1, hash: parent } : undefined
      if (checkpoint) await store.setCheckpoint(name, checkpoint)
      next = from
      return
    }
    await processBlock(block)
    checkpoint = { number: block.number, hash: block.hash }
    await store.setCheckpoint(name, checkpoint)
    counters.blocks++
    next = block.number + 1
    for (const waiter of waiters) {
      if (waiter.number <= block.number) {
        waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  async function processBlock(block: SubstrateBlock): Promise<void> {
    const seenAt = Date.now()
    const requests: RequestJobData[] = []
    const delivered: { requestId: Hex; record: DeliveredRecord }[] = []
    for (const trigger of triggers) {
      let findings: ReturnType<SubstrateTrigger['scan']>
      try {
        findings = trigger.scan(block)
      } catch (error) {
        // A trigger must not throw; if one does, its block is skipped for it, not retried forever.
        counters.errors++
        log.error(
          { trigger: trigger.name, block: block.number, err: (error as Error)?.message },
          'trigger failed',
        )
        continue
      }
      for (const finding of findings) {
        if (finding.kind === 'request') {
          requests.push({ ...finding.request, seenAt })
        } else if (finding.kind === 'result') {
          counters.results++
          if (trusted.has(finding.sender.toLowerCase())) {
            delivered.push({
              requestId: finding.requestId,
              record: {
                blockHash: block.hash,
                blockNumber: block.number,
                extrinsicIndex: finding.extrinsicIndex,
                by: 'watcher',
              },
            })
          }
        } else if (finding.kind === 'malformed') {
          counters.malformed++
          log.warn(
            {
              block: block.number,
              extrinsic: finding.extrinsicIndex,
              reason: finding.reason,
              trigger: trigger.name,
            },
            'malformed teefn request ignored',
          )
        } else {
          counters.unreadable++
          log.debug(
            { block: block.number, extrinsic: finding.extrinsicIndex, reason: finding.reason },
            'unreadable event',
          )
        }
      }
    }
    await store.markDelivered(delivered)
    counters.resultsIndexed += delivered.length
    counters.requests += requests.length
    if (requests.length === 0) return
    const done = await store.getDelivered(requests.map((request) => request.requestId))
    const fresh = requests.filter((_, index) => done[index] === undefined)
    counters.alreadyDelivered += requests.length - fresh.length
    if (fresh.length === 0) return
    await queue.addBulk(fresh.map((data) => ({ name: 'request', data, opts: { jobId: requestJobId(data) } })))
    log.info({ block: block.number, requests: fresh.map((request) => request.requestId) }, 'requests queued')
  }

  return {
    chainId,
    counters: () => ({ ...counters }),
    checkpoint: () => (checkpoint ? { ...checkpoint } : undefined),
    waitForBlock(number) {
      if (checkpoint && checkpoint.number >= number) return Promise.resolve()
      if (stopped) return Promise.reject(stoppedError())
      return new Promise((resolve, reject) => waiters.add({ number, resolve, reject }))
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(poll)
      api.off('connected', onConnected)
      unsubscribe()
      kick()
      await loop
      for (const waiter of waiters) waiter.reject(stoppedError())
      waiters.clear()
      await queue.close()
      log.info({ checkpoint: checkpoint?.number }, 'substrate watcher stopped')
    },
  }
}

function stoppedError(): SubstrateRelayerError {
  return new SubstrateRelayerError('SUBSTRATE_UNAVAILABLE', 'The substrate watcher was stopped.', {
    details: 'waitForBlock was waiting for a block the watcher will not process',
  })
}

/** Lowercase 0x AccountId32 of an SS58 address or hex account. */
export function accountHex(account: string): string {
  return u8aToHex(decodeAddress(account)).toLowerCase()
}
