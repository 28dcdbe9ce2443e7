import type { WebSocketProvider } from 'ethers'
import { withTimeout } from '../../runtime/async/withTimeout.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { connectEvmWs, socketOf } from './connectEvm.js'
import { RpcTimeoutError } from './RpcTimeoutError.js'

export type CreateResilientWsProviderParameters = {
  /** `ws(s)://` endpoint of the node. */
  url: string
  chainId: number | bigint | string
  /**
   * Called with every new provider once its socket is open and answers: subscribe here. Also called after
   * each reconnect, so whatever the caller missed meanwhile is its to backfill. A throw counts as a dead socket.
   */
  onConnect: (provider: WebSocketProvider) => void | Promise<void>
  /** Called when the socket was found dead, before the reconnect is scheduled. */
  onDisconnect?: ((reason: string) => void) | undefined
  /** How often an idle socket is probed with `eth_blockNumber`; 2 s by default. */
  heartbeatIntervalMs?: number | undefined
  /** How long the probe (and the first call on a new socket) may take; 3 s by default. */
  heartbeatTimeoutMs?: number | undefined
  /** First and longest wait between reconnect attempts (doubling); 100 ms and 5 s by default. */
  reconnectDelayMs?: { min: number; max: number } | undefined
  logger?: Logger | undefined
}

export type ResilientWsProvider = {
  /** The provider of the live socket; undefined while (re)connecting. */
  readonly provider: WebSocketProvider | undefined
  /** Successful connections so far (1 after the first). */
  readonly connections: number
  /** Stops reconnecting and destroys the current provider. */
  close(): Promise<void>
}

/**
 * Keeps one ethers `WebSocketProvider` alive: ethers does not reconnect, and calls on a dead socket never
 * settle. A socket is dead when it closes, errors, or does not answer a heartbeat (a hung node keeps its
 * socket open); it is then destroyed and replaced with backoff, and `onConnect` runs again on the new one.
 */
export function createResilientWsProvider({
  url,
  chainId,
  onConnect,
  onDisconnect,
  heartbeatIntervalMs = 2_000,
  heartbeatTimeoutMs = 3_000,
  reconnectDelayMs = { min: 100, max: 5_000 },
  logger,
}: CreateResilientWsProviderParameters): ResilientWsProvider {
  let closed = false
  let current: WebSocketProvider | undefined
  let connections = 0
  let delay = reconnectDelayMs.min
  let reconnectTimer: NodeJS.Timeout | undefined
  let endCurrent: (() => Promise<void>) | undefined

  const connect = () => {
    reconnectTimer = undefined
    if (closed) return
    const provider = connectEvmWs({ url, chainId })
    const socket = socketOf(provider)
    let dead = false
    let heartbeat: NodeJS.Timeout | undefined
    let openTimer: NodeJS.Timeout | undefined
    let probing = false

    const end = async () => {
      dead = true
      clearTimeout(openTimer)
      clearInterval(heartbeat)
      if (current === provider) current = undefined
      try {
        await provider.destroy()
      } catch {
        // A socket that never opened cannot be closed cleanly; it is gone either way.
      }
    }
    const die = (reason: string) => {
      if (dead || closed) return
      void end()
      logger?.warn({ url, reason, retryInMs: delay }, 'EVM WebSocket lost; reconnecting')
      onDisconnect?.(reason)
      reconnectTimer = setTimeout(connect, delay)
      delay = Math.min(delay * 2, reconnectDelayMs.max)
    }
    endCurrent = end

    openTimer = setTimeout(() => die('connect timeout'), heartbeatTimeoutMs)
    socket.addEventListener('close', () => die('socket closed'))
    socket.addEventListener('error', () => die('socket error'))
    socket.addEventListener('open', async () => {
      clearTimeout(openTimer)
      try {
        await withTimeout(provider.getBlockNumber(), {
          timeoutMs: heartbeatTimeoutMs,
          error: () => new RpcTimeoutError('eth_blockNumber over WebSocket', heartbeatTimeoutMs),
        })
        if (dead) return
        current = provider
        connections++
        delay = reconnectDelayMs.min
        if (connections > 1) logger?.info({ url, connections }, 'EVM WebSocket reconnected')
        await onConnect(provider)
      } catch (error) {
        die(`no answer on the new socket: ${(error as Error).message.split('\n')[0]}`)
        return
      }
      if (dead) return
      heartbeat = setInterval(async () => {
        if (probing || dead) return
        probing = true
        try {
          await withTimeout(provider.send('eth_blockNumber', []), {
            timeoutMs: heartbeatTimeoutMs,
            error: () => new RpcTimeoutError('WebSocket heartbeat', heartbeatTimeoutMs),
          })
        } catch {
          die('heartbeat timeout')
        } finally {
          probing = false
        }
      }, heartbeatIntervalMs)
    })
  }

  connect()

  return {
    get provider() {
      return current
    },
    get connections() {
      return connections
    },
    async close() {
      closed = true
      clearTimeout(reconnectTimer)
      await endCurrent?.()
    },
  }
}
