import { request as httpRequest } from 'node:http'
import { startHttpServer } from './startHttpServer.js'

/** One JSON-RPC call as the proxy saw it. */
export type ProxiedCall = { method: string; params: unknown[] }

/** Returns the answer to give instead of `result`, or `result` itself to pass it through. */
export type RpcRewrite = (call: ProxiedCall, result: unknown) => unknown

export type LyingRpcProxy = {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** Replaces the rewrite rule (undefined: forward honestly). */
  lie(rewrite: RpcRewrite | undefined): void
  /** `refuse`: answers every call with HTTP 503; `forward`: back to normal. */
  setMode(mode: 'forward' | 'refuse'): void
  /** Answers calls of these methods with JSON-RPC error -32601, as a node without them does ([] to stop). */
  withhold(methods: readonly string[]): void
  /**
   * Never answers the first request holding a call `matches` accepts (it is not forwarded either) and runs
   * `onHeld`: a node caught mid-call, e.g. killed while its transaction is on the way. One-shot; undefined disarms.
   */
  hold(matches: ((call: ProxiedCall) => boolean) | undefined, onHeld?: () => unknown): void
  /** Calls seen, by method. */
  calls(): Record<string, number>
  close(): Promise<void>
}

/**
 * A JSON-RPC endpoint on 127.0.0.1 in front of a real node (anvil) that can lie: it forwards single calls and
 * batches upstream, then lets `lie()` rewrite any answer before it goes back. It plays the RPC provider an
 * operator controls.
 */
export async function startLyingRpcProxy(upstream: string): Promise<LyingRpcProxy> {
  let rewrite: RpcRewrite | undefined
  let mode: 'forward' | 'refuse' = 'forward'
  let withheld = new Set<string>()
  let held: { matches: (call: ProxiedCall) => boolean; onHeld: () => unknown } | undefined
  const seen: Record<string, number> = {}
  const target = new URL(upstream)

  const forward = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
          response.on('error', reject)
        },
      )
      outgoing.on('error', reject)
      outgoing.end(body)
    })

  type Message = { id?: unknown; method: string; params?: unknown[] }
  type Answer = { jsonrpc?: string; id?: unknown; result?: unknown; error?: unknown }
  const rewritten = (message: Message, answer: Answer): Answer => {
    if (!rewrite || answer.error !== undefined) return answer
    return {
      ...answer,
      result: rewrite({ method: message.method, params: message.params ?? [] }, answer.result),
    }
  }

  const server = await startHttpServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    if (mode === 'refuse') {
      response.statusCode = 503
      response.end('unavailable')
      return
    }
    const parsed = JSON.parse(body) as Message | Message[]
    const messages = Array.isArray(parsed) ? parsed : [parsed]
    for (const message of messages) seen[message.method] = (seen[message.method] ?? 0) + 1
    const trap = held
    if (
      trap &&
      messages.some((message) => trap.matches({ method: message.method, params: message.params ?? [] }))
    ) {
      held = undefined
      await trap.onHeld()
      return
    }
    const forwarded = messages.filter((message) => !withheld.has(message.method))
    const answered =
      forwarded.length === 0
        ? []
        : (JSON.parse(await forward(JSON.stringify(forwarded))) as Answer | Answer[])
    const answers = new Map(
      (Array.isArray(answered) ? answered : [answered]).map((answer) => [answer.id, answer]),
    )
    const out = messages.map((message): Answer => {
      const answer = answers.get(message.id)
      if (answer) return rewritten(message, answer)
      const error = { code: -32601, message: `the method ${message.method} does not exist/is not available` }
      return { jsonrpc: '2.0', id: message.id, error }
    })
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]))
  })

  return {
    url: server.url,
    lie(next) {
      rewrite = next
    },
    setMode(next) {
      mode = next
    },
    withhold(methods) {
      withheld = new Set(methods)
    },
    hold(matches, onHeld = () => {}) {
      held = matches ? { matches, onHeld } : undefined
    },
    calls: () => ({ ...seen }),
    close: () => server.close(),
  }
}
