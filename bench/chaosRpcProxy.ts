import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Socket } from 'node:net'

type RpcCall = { method?: string; params?: unknown[] }

export type SendHook = { matches(raw: string): boolean; before(raw: string): Promise<void> }

export type ChaosRpcProxy = {
  /** `http://127.0.0.1:PORT`: the same across `cut` / `restore`. */
  url: string
  /** Closes the port and every connection: callers see dropped sockets, then refusals, as with a dead node. */
  cut(): Promise<void>
  /** Listens again on the same port. */
  restore(): Promise<void>
  /**
   * Holds the next `eth_sendRawTransaction` that `matches` while `before` runs (e.g. a competitor sends its own
   * transaction first), then forwards it. Once only; resolves with the raw transaction it held, or undefined when
   * none matched within `timeoutMs`.
   */
  holdNextSend(hook: SendHook, timeoutMs: number): Promise<string | undefined>
  close(): Promise<void>
}

/**
 * An HTTP JSON-RPC proxy on 127.0.0.1 in front of an EVM node, for the chaos benchmark: it can cut the node off
 * for a while, and hold one transaction while a competitor front-runs it (single calls and batches alike).
 */
export async function startChaosRpcProxy(upstreamUrl: string): Promise<ChaosRpcProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  let hold: (SendHook & { done: (raw: string | undefined) => void }) | undefined

  const handle = async (request: IncomingMessage, body: string): Promise<string> => {
    if (hold && request.method === 'POST') {
      const parsed = JSON.parse(body) as RpcCall | RpcCall[]
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const raw = call.method === 'eth_sendRawTransaction' ? String(call.params?.[0]) : undefined
        const current = hold
        if (raw && current?.matches(raw)) {
          hold = undefined // taken synchronously: one send is held, whatever arrives meanwhile
          await current.before(raw).catch(() => {})
          current.done(raw)
        }
      }
    }
    const response = await fetch(upstreamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    return response.text()
  }

  const listen = async () => {
    const started = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        handle(request, Buffer.concat(chunks).toString())
          .then((text) => {
            response.setHeader('content-type', 'application/json')
            response.end(text)
          })
          .catch(() => response.destroy())
      })
    })
    started.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      started.once('error', reject)
      started.listen(port, '127.0.0.1', () => resolve())
    })
    port = (started.address() as { port: number }).port
    server = started
  }
  const cut = async () => {
    const closing = server
    server = undefined
    if (!closing) return
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  await listen()
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    restore: listen,
    holdNextSend: (hook, timeoutMs) =>
      new Promise<string | undefined>((resolve) => {
        const armed = { ...hook, done: resolve }
        hold = armed
        setTimeout(() => {
          if (hold !== armed) return
          hold = undefined
          resolve(undefined)
        }, timeoutMs)
      }),
    close: cut,
  }
}
