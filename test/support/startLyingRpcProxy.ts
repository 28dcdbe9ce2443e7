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
  type Answer = { id?: unknown; result?: unknown; error?: unknown }
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
    const answered = JSON.parse(await forward(body)) as Answer | Answer[]
    const answers = Array.isArray(answered) ? answered : [answered]
    const byId = new Map(messages.map((message) => [message.id, message]))
    const out = answers.map((answer) => {
      const message = byId.get(answer.id)
      return message ? rewritten(message, answer) : answer
    })
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify(Array.isArray(answered) ? out : out[0]))
  })

  return {
    url: server.url,
    lie(next) {
      rewrite = next
    },
    setMode(next) {
      mode = next
    },
    calls: () => ({ ...seen }),
    close: () => server.close(),
  }
}
