import { quantity } from '../../runtime/chain/evm/blockView.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import {
  logFromRpc,
  type RpcLog,
  requestFromLog,
  requestSentTopic,
} from '../../runtime/chain/evm/requestSentLog.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import type { RequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import type { ConsumerFilter } from './createConsumerFilter.js'
import type { LogCheckpoint } from './logCheckpoint.js'

export type ScanRequestLogsParameters = {
  rpc: RpcClient
  /** Decimal chain id, for the jobs. */
  chainId: string
  /**
   * Contracts whose `RequestSent` logs are asked for (EIP-55): the allow-list, when the config gives one.
   * Undefined: every contract's, by topic alone.
   */
  consumers?: readonly string[] | undefined
  /** Which of the logs' emitters are served: registered consumers, allowed by the config. */
  consumerFilter: ConsumerFilter
  /** Blocks a log must be buried under; the scan stops at head - confirmations. */
  confirmations: number
  /** Widest `eth_getLogs` range. */
  maxBlockRange: number
  /** Where the scan starts, moved after each range's jobs are in Redis. */
  checkpoint: LogCheckpoint
  enqueuer: RequestEnqueuer
  /** Asked before each range: true ends the scan there (the watcher is stopping). */
  stopped?: (() => boolean) | undefined
  logger?: Logger | undefined
}

/**
 * One backfill pass: the `RequestSent` logs from the checkpoint up to the confirmed head, in ranges of at most
 * `maxBlockRange` blocks, each range's requests of served consumers enqueued before the checkpoint moves past it.
 * Resolves with how many requests it enqueued (removed logs, malformed ones and those of contracts the filter
 * does not serve are not requests).
 */
export async function scanRequestLogs({
  rpc,
  chainId,
  consumers,
  consumerFilter,
  confirmations,
  maxBlockRange,
  checkpoint,
  enqueuer,
  stopped = () => false,
  logger,
}: ScanRequestLogsParameters): Promise<number> {
  const head = Number(await rpc.request<string>('eth_blockNumber'))
  const safeHead = head - confirmations
  const stored = await checkpoint.get()
  // The watcher writes one at start, so a missing checkpoint means Redis lost its data, and with it the jobs the
  // enqueuer remembers adding: forget them, so the scan from block 0 adds them again (Redis dedupes the rest).
  if (stored === undefined) enqueuer.forget()
  let found = 0
  for (let from = stored ?? 0; from <= safeHead && !stopped(); ) {
    const to = Math.min(from + maxBlockRange - 1, safeHead)
    const filter = {
      ...(consumers ? { address: consumers } : {}),
      topics: [requestSentTopic],
      fromBlock: quantity(from),
      toBlock: quantity(to),
    }
    const logs = await rpc.request<RpcLog[]>('eth_getLogs', [filter])
    const seenAt = Date.now()
    const requests = await consumerFilter.filter(
      logs
        .filter((entry) => !entry.removed)
        .map((entry) => requestFromLog(logFromRpc(entry), chainId, seenAt))
        .filter((request): request is RequestJobData => request !== undefined),
    )
    await enqueuer.add(requests)
    await checkpoint.advance(to + 1)
    if (requests.length > 0) logger?.debug({ from, to, requests: requests.length }, 'backfilled requests')
    found += requests.length
    from = to + 1
  }
  return found
}
