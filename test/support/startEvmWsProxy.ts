import { WebSocket, WebSocketServer } from 'ws'

export type EvmWsProxy = {
  /** `ws://127.0.0.1:PORT`: point a client here. */
  url: string
  /**
   * Sends every log notification delivered so far from blocks at or after `fromBlock` once more, flagged
   * `removed: true`, to the subscription that got it: what geth and other nodes announce when a reorg drops
   * those blocks (anvil does not). Returns how many were sent.
   */
  announceRemoved(options: { fromBlock: number }): number
  close(): Promise<void>
}

type Notification = {
  method?: string
  params?: { subscription?: unknown; result?: { topics?: unknown; blockNumber?: string; removed?: boolean } }
}

/**
 * A WebSocket JSON-RPC proxy on 127.0.0.1 and a free port in front of an EVM node (anvil): everything passes
 * through both ways, each client connection on its own upstream connection. It remembers the log notifications
 * it forwarded, so a test can make it announce them as removed after a real reorg on the node.
 */
export async function startEvmWsProxy(upstreamUrl: string): Promise<EvmWsProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const sockets = new Set<WebSocket>()
  const delivered: { client: WebSocket; subscription: unknown; log: Record<string, unknown> }[] = []

  server.on('connection', (client) => {
    const upstream = new WebSocket(upstreamUrl)
    const early: string[] = []
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => {
        sockets.delete(socket)
        client.close()
        upstream.close()
      })
      socket.on('error', () => {})
    }
    client.on('message', (data) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString())
      else early.push(data.toString())
    })
    upstream.on('open', () => {
      for (const data of early.splice(0)) upstream.send(data)
    })
    upstream.on('message', (data) => {
      const text = data.toString()
      const message = parse(text) as Notification | undefined
      const log = message?.params?.result
      if (message?.method === 'eth_subscription' && Array.isArray(log?.topics) && !log.removed) {
        delivered.push({
          client,
          subscription: message.params!.subscription,
          log: log as Record<string, unknown>,
        })
      }
      client.send(text)
    })
  })

  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    announceRemoved({ fromBlock }) {
      const dropped = delivered.filter(({ log }) => Number(log.blockNumber) >= fromBlock)
      delivered.splice(0, delivered.length, ...delivered.filter((entry) => !dropped.includes(entry)))
      let sent = 0
      for (const { client, subscription, log } of dropped) {
        if (client.readyState !== WebSocket.OPEN) continue
        const result = { ...log, removed: true }
        client.send(
          JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }),
        )
        sent++
      }
      return sent
    },
    async close() {
      for (const socket of sockets) socket.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
