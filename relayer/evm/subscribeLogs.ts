import { SocketSubscriber, type WebSocketProvider } from 'ethers'
import type { RpcLog } from '../../runtime/chain/evm/requestSentLog.js'

/** What `eth_subscribe("logs", filter)` takes. */
export type LogSubscriptionFilter = { address?: string | string[]; topics?: (string | string[] | null)[] }

/** A log subscription's notifications, handed over as the node sent them. */
class RawLogSubscriber extends SocketSubscriber {
  readonly #onLog: (log: RpcLog) => void

  constructor(provider: WebSocketProvider, filter: LogSubscriptionFilter, onLog: (log: RpcLog) => void) {
    super(provider, ['logs', filter])
    this.#onLog = onLog
  }

  override async _emit(_provider: unknown, message: unknown): Promise<void> {
    this.#onLog(message as RpcLog)
  }
}

/**
 * Subscribes to the logs matching `filter` over `provider`'s socket and calls `onLog` with each notification,
 * removed logs (`removed: true`, a reorg took them back) included. ethers' own listeners (`provider.on(filter)`)
 * never see those: ethers turns a removed log into an `orphan` event keyed by that very log, which nobody can
 * listen for in advance. Ends with the provider (or `stop()`).
 */
export function subscribeLogs(
  provider: WebSocketProvider,
  filter: LogSubscriptionFilter,
  onLog: (log: RpcLog) => void,
): { stop(): void } {
  const subscriber = new RawLogSubscriber(provider, filter, onLog)
  subscriber.start()
  return { stop: () => subscriber.stop() }
}
