import type { Redis } from 'ioredis'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { defaultConfirmations } from '../../runtime/chain/evm/defaultConfirmations.js'
import {
  type EvmLog,
  logFromRpc,
  requestFromLog,
  requestSentTopic,
} from '../../runtime/chain/evm/requestSentLog.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { createCoalescedTask } from '../shared/createCoalescedTask.js'
import { createRequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import { createConsumerFilter } from './createConsumerFilter.js'
import { createResilientWsProvider, type ResilientWsProvider } from './createResilientWsProvider.js'
import { createLogCheckpoint, type LogCheckpoint } from './logCheckpoint.js'
import { scanRequestLogs } from './scanRequestLogs.js'
import { subscribeLogs } from './subscribeLogs.js'

export type StartEvmWatcherParameters = {
  /** BullMQ connection (see `createRedisConnection`); also holds the checkpoint. */
  connection: Redis
  /** The chain id the nodes must serve (decimal). */
  chainId: number | bigint | string
  /** HTTP JSON-RPC endpoint: `getLogs` backfill and the head. */
  rpcUrl: string
  /** WebSocket endpoint for live logs and new heads; without it the watcher polls `rpcUrl`. */
  wsUrl?: string | undefined
  /** The `TeefnRegistry`: the `RequestSent` events of the consumers it holds as registered become jobs. */
  registry: string
  /**
   * An allow-list: only these consumers are served, and their logs are asked for by address (the registry is not
   * asked: the worker still refuses any that is not registered). Undefined: every registered consumer, by topic.
   */
  consumers?: readonly string[] | undefined
  /** Consumers never served. */
  denyConsumers?: readonly string[] | undefined
  /** How long a consumer's registration is taken as known; see `createConsumerFilter`. */
  consumerCacheTtlMs?: number | undefined
  /**
   * Blocks a request must be buried under before it becomes a job: 0 acts on the block that mined it (live,
   * over the subscription); N > 0 only on logs at depth >= N, and the checkpoint never passes head - N. By
   * default `defaultConfirmations(chainId)`: 0 on a development chain (31337), 12 elsewhere.
   */
  confirmations?: number | undefined
  /** Where a watcher without a checkpoint starts: a block number, or `latest` (default: from now on). */
  startBlock?: number | 'latest' | undefined
  /** Widest `getLogs` range; 1000 blocks by default (public RPCs refuse wide ranges). */
  maxBlockRange?: number | undefined
  /** How often the head is polled for a backfill scan; 1 s by default (also the fallback without WebSocket). */
  pollIntervalMs?: number | undefined
  /** Redis key of the checkpoint; one per chain by default. */
  checkpointKey?: string | undefined
  /** WebSocket liveness probe; see `createResilientWsProvider`. */
  heartbeatIntervalMs?: number | undefined
  heartbeatTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

export type EvmWatcherStats = {
  /** Requests seen live on the subscription (each also reaches the backfill: duplicates are one job). */
  fromSubscription: number
  /** Requests seen by `getLogs` scans. */
  fromBackfill: number
  /** Completed scans and failed ones (retried on the next tick). */
  scans: number
  scanErrors: number
  /** WebSocket connections made, the first included. */
  connections: number
  /** Requests whose log a reorg removed, and whose waiting job was therefore removed. */
  cancelled: number
  /** `RequestSent` logs of contracts that are no registered consumer at the log's block: ignored. */
  ignoredUnregistered: number
  /** `RequestSent` logs of consumers the config does not serve (`consumers`, `denyConsumers`): ignored. */
  ignoredDenied: number
}

export type EvmWatcher = {
  readonly checkpoint: LogCheckpoint
  stats(): EvmWatcherStats
  /** Scans from the checkpoint up to the confirmed head now; resolves when done (errors are logged and counted). */
  scan(): Promise<void>
  /** Unsubscribes, waits for a running scan, and destroys its providers and queue. */
  stop(): Promise<void>
}

/**
 * Turns `RequestSent` events of registered consumers into request jobs: logs are read by topic from every
 * contract (by address when the config gives an allow-list), and those of contracts the registry does not hold
 * as consumers at the log's block, or that the config denies, are ignored and counted. Live events arrive over a
 * WebSocket subscription (kept alive and resubscribed by `createResilientWsProvider`); a `getLogs` scan from the
 * checkpoint in Redis, on a timer, on new heads (with confirmations) and after every reconnect, catches
 * whatever the subscription missed. Both paths enqueue with the request's job id, so a request is one job
 * however often it is seen; the checkpoint moves only after the jobs of the scanned range are in Redis.
 */
export async function startEvmWatcher({
  connection,
  chainId: chainIdInput,
  rpcUrl,
  wsUrl,
  registry,
  consumers: consumerList,
  denyConsumers,
  consumerCacheTtlMs,
  confirmations = defaultConfirmations(chainIdInput),
  startBlock = 'latest',
  maxBlockRange = 1_000,
  pollIntervalMs = 1_000,
  checkpointKey,
  heartbeatIntervalMs,
  heartbeatTimeoutMs,
  logger = createLogger({ name: 'relayer-evm' }),
}: StartEvmWatcherParameters): Promise<EvmWatcher> {
  const chainId = BigInt(chainIdInput).toString()
  if (!Number.isInteger(confirmations) || confirmations < 0) {
    throw new RangeError(`confirmations must be a whole number >= 0, got ${confirmations}`)
  }
  if (consumerList?.length === 0) {
    throw new RangeError('consumers, when given, must name at least one contract (leave it out to serve all)')
  }
  if (startBlock !== 'latest' && !(Number.isSafeInteger(startBlock) && startBlock >= 0)) {
    throw new RangeError(`startBlock must be a block number or 'latest', got ${startBlock}`)
  }
  const consumers = consumerList?.map((address) => checksumAddress(address))
  const log = logger.child({ chainId, component: 'evm-watcher' })
  const rpc = createRpcClient({ url: rpcUrl, maxSockets: 2 })
  const consumerFilter = createConsumerFilter({
    rpc,
    registry,
    consumers,
    denyConsumers,
    cacheTtlMs: consumerCacheTtlMs,
  })
  const enqueuer = createRequestEnqueuer({ connection })
  const checkpoint = createLogCheckpoint({ redis: connection, chainId, key: checkpointKey })
  const stats: EvmWatcherStats = {
    fromSubscription: 0,
    fromBackfill: 0,
    scans: 0,
    scanErrors: 0,
    connections: 0,
    cancelled: 0,
    ignoredUnregistered: 0,
    ignoredDenied: 0,
  }
  let stopped = false

  // A first checkpoint, so requests from now on are not skipped by a scan that starts later.
  try {
    if ((await checkpoint.get()) === undefined) {
      const head = async () => Number(await rpc.request<string>('eth_blockNumber'))
      const first = startBlock === 'latest' ? (await head()) + 1 - confirmations : startBlock
      await checkpoint.advance(Math.max(0, first))
    }
  } catch (error) {
    rpc.close()
    await enqueuer.close()
    throw error
  }

  const scanning = createCoalescedTask(
    async () => {
      try {
        const scan = {
          rpc,
          chainId,
          consumers,
          consumerFilter,
          confirmations,
          maxBlockRange,
          checkpoint,
          enqueuer,
        }
        stats.fromBackfill += await scanRequestLogs({ ...scan, stopped: () => stopped, logger: log })
        stats.scans++
      } catch (error) {
        stats.scanErrors++
        log.warn({ err: shortError(error) }, 'log scan failed; retrying on the next tick')
        throw error
      }
    },
    () => !stopped,
  )
  const scan = () => scanning.run()

  let pollTimer: NodeJS.Timeout | undefined
  const poll = () => {
    if (stopped) return
    void scan().finally(() => {
      if (!stopped) pollTimer = setTimeout(poll, pollIntervalMs)
    })
  }

  // A reorg took the log back: a job still waiting for it is removed (one already running finds no request on
  // chain and fails unsigned). If the transaction is mined again, its log comes back and is a job again.
  const cancel = async (request: RequestJobData) => {
    if (await enqueuer.remove(request)) {
      stats.cancelled++
      const block = request.origin?.blockNumber
      log.info({ requestId: request.requestId, block }, 'reorged request cancelled')
    }
  }

  const onSubscribedLog = (entry: EvmLog) => {
    if (stopped) return
    const request = requestFromLog(entry, chainId)
    if (!request) return
    const { requestId } = request
    if (entry.removed) {
      cancel(request).catch((error: unknown) =>
        log.warn({ err: shortError(error), requestId }, 'could not cancel a reorged request'),
      )
      return
    }
    // A failed check or add is not lost: the scan reaches this block later and enqueues it.
    consumerFilter
      .filter([request])
      .then(async (served) => {
        if (served.length === 0 || stopped) return
        stats.fromSubscription++
        log.debug({ requestId, block: entry.blockNumber }, 'request seen')
        await enqueuer.add(served)
      })
      .catch((error: unknown) =>
        log.warn({ err: shortError(error), requestId }, 'enqueue failed; the scan will retry'),
      )
  }

  let ws: ResilientWsProvider | undefined
  if (wsUrl) {
    ws = createResilientWsProvider({
      url: wsUrl,
      chainId,
      heartbeatIntervalMs,
      heartbeatTimeoutMs,
      logger: log,
      onConnect: async (provider) => {
        stats.connections++
        if (confirmations === 0) {
          // Not `provider.on(filter)`: ethers never hands its listeners a removed log, and cancelling needs it.
          const filter = { ...(consumers ? { address: consumers } : {}), topics: [requestSentTopic] }
          subscribeLogs(provider, filter, (log) => onSubscribedLog(logFromRpc(log)))
        } else {
          // Deeper blocks only become eligible as the head moves: scan on every new head.
          await provider.on('block', () => void scan())
        }
        // Whatever was mined while the socket was down (or before it opened).
        void scan()
      },
    })
  }
  poll()
  log.info(
    {
      registry,
      consumers: consumers ?? 'every registered consumer',
      denyConsumers,
      confirmations,
      ws: Boolean(wsUrl),
    },
    'EVM watcher started',
  )

  return {
    checkpoint,
    stats: () => {
      const ignored = consumerFilter.stats()
      return { ...stats, ignoredUnregistered: ignored.unregistered, ignoredDenied: ignored.denied }
    },
    scan,
    async stop() {
      if (stopped) return
      stopped = true
      clearTimeout(pollTimer)
      await ws?.close()
      await scanning.running
      rpc.close()
      await enqueuer.close()
      log.info('EVM watcher stopped')
    },
  }
}

function shortError(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!
}
