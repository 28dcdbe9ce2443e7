import { type RawData, WebSocket, WebSocketServer } from 'ws'

/** A JSON-RPC call the proxy answered, as the rewrite sees it. */
export type ProxiedCall = { method: string; params: unknown[]; result: unknown }

export type StartLyingSubstrateProxyParameters = {
  /** `ws://127.0.0.1:PORT` of the honest node (chopsticks). */
  upstreamUrl: string
  /** The answer to send instead of `call.result`; return `call.result` to pass it through (the default). */
  rewrite?: ((call: ProxiedCall) => unknown) | undefined
}

export type LyingSubstrateProxy = {
  /** `ws://127.0.0.1:PORT`: point a client here. */
  url: string
  /** How many answers `rewrite` changed so far (to check that the lie was told). */
  rewritten(): number
  /**
   * Never forwards (nor answers) the first call `matches` accepts and runs `onHeld`: a node caught mid-call, e.g.
   * killed while its extrinsic is on the way. One-shot; undefined disarms.
   */
  hold(matches: ((call: Omit<ProxiedCall, 'result'>) => boolean) | undefined, onHeld?: () => unknown): void
  close(): Promise<void>
}

/**
 * A WebSocket JSON-RPC proxy on 127.0.0.1 and a free port that forwards everything to a node and lets a
 * test rewrite chosen answers: an RPC endpoint that lies. Each client connection gets its own upstream
 * connection; subscriptions and notifications pass through unchanged.
 */
export async function startLyingSubstrateProxy({
  upstreamUrl,
  rewrite = (call) => call.result,
}: StartLyingSubstrateProxyParameters): Promise<LyingSubstrateProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const sockets = new Set<WebSocket>()
  let rewritten = 0
  let held: { matches: (call: Omit<ProxiedCall, 'result'>) => boolean; onHeld: () => unknown } | undefined

  server.on('connection', (client) => {
    const upstream = new WebSocket(upstreamUrl)
    const pending = new Map<unknown, { method: string; params: unknown[] }>()
    const early: RawData[] = []
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
      const request = parse(data) as { id?: unknown; method?: string; params?: unknown[] } | undefined
      if (request?.id !== undefined && typeof request.method === 'string') {
        const call = { method: request.method, params: request.params ?? [] }
        const trap = held
        if (trap?.matches(call)) {
          held = undefined
          void trap.onHeld()
          return
        }
        pending.set(request.id, call)
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString())
      else early.push(data)
    })
    upstream.on('open', () => {
      for (const data of early.splice(0)) upstream.send(data.toString())
    })
    upstream.on('message', (data) => {
      const response = parse(data) as { id?: unknown; result?: unknown } | undefined
      const call = response?.id === undefined ? undefined : pending.get(response.id)
      if (!call || !response || !('result' in response)) {
        client.send(data.toString())
        return
      }
      pending.delete(response.id)
      const before = JSON.stringify(response.result)
      const result = rewrite({ ...call, result: response.result })
      if (JSON.stringify(result) !== before) rewritten++
      client.send(JSON.stringify({ ...response, result }))
    })
  })

  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    rewritten: () => rewritten,
    hold(matches, onHeld = () => {}) {
      held = matches ? { matches, onHeld } : undefined
    },
    async close() {
      for (const socket of sockets) socket.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function parse(data: RawData): unknown {
  try {
    return JSON.parse(data.toString())
  } catch {
    return undefined
  }
}
