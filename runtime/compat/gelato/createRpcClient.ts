import { unlimitedRpcMethods } from './gelatoLimits.js'

/** A JSON-RPC error as ethers v5 surfaces it: the node's code and data beside the message. */
export type RpcError = Error & { code?: number | string; data?: unknown }

export type RpcClient = {
  /** One JSON-RPC call over the sandbox's `fetch`, counted against the run's RPC limit. */
  request(url: string, method: string, params: unknown[]): Promise<unknown>
  /** Calls left before the limit (Gelato's `nbRpcCallsRemaining`). */
  remaining(): number
  /** Whether a call was refused at the limit: Gelato ends such a run, whatever the function did next. */
  limitHit(): boolean
}

/**
 * Every chain's JSON-RPC calls go through one client, so the run's RPC limit covers them all, as Gelato's proxy
 * does: each call counts, and a call past the limit is refused unless it is `eth_chainId` or `net_version`. Calls
 * are fetches too, so the sandbox's fetch limit and network policy (and `--mock`) apply.
 */
export function createRpcClient({ limit }: { limit: number }): RpcClient {
  let calls = 0
  let refused = false
  let nextId = 1
  return {
    remaining: () => Math.max(0, limit - calls),
    limitHit: () => refused,
    async request(url, method, params) {
      calls++
      if (calls > limit && !unlimitedRpcMethods.includes(method)) {
        refused = true
        throw rpcError(`Request limit exceeded. (RPC call ${calls} of at most ${limit} per run)`, -32005)
      }
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      })
      const text = await response.text()
      if (!response.ok)
        throw rpcError(
          `bad response (status=${response.status}, method="${method}", url="${url}")`,
          'SERVER_ERROR',
        )
      let body: { result?: unknown; error?: { code?: number; message?: string; data?: unknown } }
      try {
        body = JSON.parse(text)
      } catch {
        throw rpcError(`invalid JSON-RPC response (method="${method}", url="${url}")`, 'SERVER_ERROR')
      }
      if (body.error) {
        const { code, message = 'JSON-RPC error', data } = body.error
        throw rpcError(message, code, data)
      }
      return body.result
    },
  }
}

function rpcError(message: string, code: number | string | undefined, data?: unknown): RpcError {
  const error: RpcError = new Error(message)
  error.code = code
  if (data !== undefined) error.data = data
  return error
}
