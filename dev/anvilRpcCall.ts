import { anvilError } from './anvilError.js'

/** One JSON-RPC call to anvil over HTTP; an error answer becomes an `ANVIL_RPC_ERROR` with anvil's output. */
export async function anvilRpcCall<T>(
  url: string,
  method: string,
  params: unknown[],
  output: () => string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  })
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } }
  if (body.error) {
    throw anvilError(`anvil ${method} failed: ${body.error.message}`, 'ANVIL_RPC_ERROR', output)
  }
  return body.result as T
}
