import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invokeFunction } from '../../../test/support/invokeFunction.js'
import { parseHttpMocks } from '../../http/parseHttpMocks.js'
import { createSandboxPool, type SandboxPool } from '../index.js'

let pool: SandboxPool
/** Accepts connections and never answers. */
let silent: Server
let silentHost: string
const sockets = new Set<Socket>()

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 1 })
  silent = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  silentHost = `127.0.0.1:${(silent.address() as { port: number }).port}`
})

afterAll(async () => {
  await pool?.close()
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => silent?.close(resolve))
})

const httpMocks = parseHttpMocks([
  { request: { url: 'https://api.example/a' }, response: { json: { n: 1 }, headers: { 'x-n': '1' } } },
  { request: { method: 'POST', url: 'https://api.example/echo' }, response: { status: 201, body: 'ok' } },
])

/** A function that calls the blocking global with `requests` and `timeoutMs`, and describes what it got. */
const caller = `export default function main(request) {
  const { requests, timeoutMs } = JSON.parse(request)
  const results = teefnHttpRequestsSync(JSON.stringify(requests), timeoutMs)
  return JSON.stringify(results.map((r) => r.code ? r : {
    status: r.status, statusText: r.statusText, headers: JSON.parse(r.headersJson),
    body: new TextDecoder().decode(new Uint8Array(r.body)),
  }))
}`

describe('teefnHttpRequestsSync', () => {
  it('answers synchronously, in order, from the invocation mocks, and counts every request as a fetch', async () => {
    const outcome = await invokeFunction(pool, caller, {
      httpMocks,
      request: JSON.stringify({
        timeoutMs: 5_000,
        requests: [
          { url: 'https://api.example/a' },
          { url: 'https://api.example/echo', method: 'post', bodyHex: '6869' },
          { url: 'https://api.example/none' },
        ],
      }),
    })
    expect(outcome.error).toBeNull()
    const [a, echo, none] = JSON.parse(outcome.result as string)
    expect(a).toMatchObject({ status: 200, statusText: 'OK', body: '{"n":1}' })
    expect(a.headers).toContainEqual(['x-n', '1'])
    expect(echo).toMatchObject({ status: 201, body: 'ok' })
    expect(none).toMatchObject({ code: 'NETWORK_ERROR' })
    expect(outcome.stats.fetches).toBe(3)
  })

  it('refuses a call whose requests do not all fit in the fetch limit, fetching none of them', async () => {
    const outcome = await invokeFunction(pool, caller, {
      httpMocks,
      limits: { maxFetches: 2 },
      request: JSON.stringify({
        timeoutMs: 5_000,
        requests: Array(3).fill({ url: 'https://api.example/a' }),
      }),
    })
    expect(outcome.error?.code).toBe('FUNCTION_ERROR')
    expect(outcome.error?.message).toContain(
      'TOO_MANY_REQUESTS: This invocation started 0 fetches; 3 more would pass the limit of 2.',
    )
    expect(outcome.stats.fetches).toBe(0)
  })

  it('ends a blocked call at the invocation deadline, and the invocation with TIMEOUT', async () => {
    const startedAt = Date.now()
    const outcome = await invokeFunction(pool, caller, {
      allowHosts: [silentHost],
      limits: { timeoutMs: 800, fetchTimeoutMs: 30_000 },
      request: JSON.stringify({ timeoutMs: 30_000, requests: [{ url: `http://${silentHost}/` }] }),
    })
    expect(outcome.error?.code).toBe('TIMEOUT')
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    // Sleeping on the network is not CPU time (caller quotas count cpuMs).
    expect(outcome.stats.cpuMs).toBeLessThan(outcome.stats.durationMs - 400)
  })
})
