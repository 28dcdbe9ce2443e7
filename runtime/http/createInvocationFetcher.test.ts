import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { createInvocationFetcher, type InvocationFetcher } from './createInvocationFetcher.js'
import { createNetworkPolicy } from './createNetworkPolicy.js'
import { FetchError, type FetchErrorCode } from './FetchError.js'

const MiB = 1024 * 1024
const cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Handlers may return whatever `response.end()` returns; they are awaited. */
type Handler = (request: IncomingMessage, response: ServerResponse) => unknown

async function serve(handler: Handler): Promise<StartHttpServerReturnType> {
  const server = await startHttpServer(async (request, response) => {
    await handler(request, response)
  })
  cleanups.push(() => server.close())
  return server
}

function fetcherFor(
  server: { port: number },
  overrides: Partial<Parameters<typeof createInvocationFetcher>[0]> = {},
): InvocationFetcher {
  const fetcher = createInvocationFetcher({
    policy: createNetworkPolicy({ allowHosts: [`127.0.0.1:${server.port}`] }),
    deadlineAt: Date.now() + 10_000,
    ...overrides,
  })
  cleanups.push(() => fetcher.close())
  return fetcher
}

async function fetchError(promise: Promise<unknown>, code: FetchErrorCode): Promise<FetchError> {
  const error = await rejectionOf(promise)
  expect(error).toBeInstanceOf(FetchError)
  expect((error as FetchError).code, (error as Error).message).toBe(code)
  return error as FetchError
}

describe('createInvocationFetcher', () => {
  it('allows 16 fetches by default and refuses the 17th without touching the network', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const fetcher = fetcherFor(server)
    for (let index = 0; index < 16; index++) await fetcher.fetch({ url: `${server.url}/${index}` })
    expect(fetcher.count).toBe(16)
    const error = await fetchError(fetcher.fetch({ url: server.url }), 'TOO_MANY_REQUESTS')
    expect(error.message).toContain('already started 16 fetches, the limit')
    expect(server.requests).toHaveLength(16)
    expect(fetcher.count).toBe(16)
  })

  it('counts failed fetches against maxFetches', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const fetcher = fetcherFor(server, { maxFetches: 2 })
    await fetchError(fetcher.fetch({ url: 'http://10.0.0.1/' }), 'HOST_NOT_ALLOWED')
    await fetcher.fetch({ url: server.url })
    await fetchError(fetcher.fetch({ url: server.url }), 'TOO_MANY_REQUESTS')
    expect(fetcher.count).toBe(2)
    expect(server.requests).toHaveLength(1)
  })

  it('runs fetches concurrently: four 300 ms requests finish in about the time of one', async () => {
    let inFlight = 0
    let peak = 0
    const server = await serve((_request, response) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      setTimeout(() => {
        inFlight--
        response.end('slow')
      }, 300)
    })
    const fetcher = fetcherFor(server)
    const started = Date.now()
    const responses = await Promise.all(
      [1, 2, 3, 4].map((index) => fetcher.fetch({ url: `${server.url}/${index}` })),
    )
    const elapsed = Date.now() - started
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200])
    expect(peak).toBe(4)
    expect(elapsed).toBeLessThan(900)
  })

  it('uses the default 5 MiB body limit', async () => {
    const server = await serve((request, response) => {
      response.end(Buffer.alloc(request.url === '/over' ? 5 * MiB + 1 : 5 * MiB))
    })
    const fetcher = fetcherFor(server)
    expect((await fetcher.fetch({ url: server.url })).body.byteLength).toBe(5 * MiB)
    await fetchError(fetcher.fetch({ url: `${server.url}/over` }), 'RESPONSE_TOO_LARGE')
  })

  it('enforces its policy', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const fetcher = createInvocationFetcher({
      policy: createNetworkPolicy(),
      deadlineAt: Date.now() + 10_000,
    })
    cleanups.push(() => fetcher.close())
    await fetchError(fetcher.fetch({ url: server.url }), 'HOST_NOT_ALLOWED')
    expect(server.requests).toHaveLength(0)
  })

  it('rejects a fetch started after the deadline with TIMEOUT, without touching the network', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const fetcher = fetcherFor(server, { deadlineAt: Date.now() - 1 })
    const error = await fetchError(fetcher.fetch({ url: server.url }), 'TIMEOUT')
    expect(error.message).toContain('deadline has passed')
    expect(server.requests).toHaveLength(0)
  })

  it('cuts a fetch short at the deadline when it comes before timeoutMs', async () => {
    const server = await serve(() => {})
    const fetcher = fetcherFor(server, { timeoutMs: 10_000, deadlineAt: Date.now() + 300 })
    const started = Date.now()
    await fetchError(fetcher.fetch({ url: server.url }), 'TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('applies timeoutMs to each fetch', async () => {
    const server = await serve((request, response) => {
      if (request.url === '/slow') return
      response.end('fast')
    })
    const fetcher = fetcherFor(server, { timeoutMs: 200 })
    const error = await fetchError(fetcher.fetch({ url: `${server.url}/slow` }), 'TIMEOUT')
    expect(error.message).toContain('did not complete within 200 ms')
    // The budget is per fetch: the next one has its own 200 ms.
    expect((await fetcher.fetch({ url: `${server.url}/fast` })).status).toBe(200)
  })

  it('close() aborts fetches in flight, closes their connections and refuses new fetches', async () => {
    const closes: Promise<void>[] = []
    const server = await serve((request) => {
      closes.push(new Promise((resolve) => request.socket.once('close', () => resolve())))
    })
    const fetcher = fetcherFor(server)
    const pending = [fetcher.fetch({ url: `${server.url}/a` }), fetcher.fetch({ url: `${server.url}/b` })]
    for (let waited = 0; server.requests.length < 2 && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(server.requests).toHaveLength(2)
    fetcher.close()
    for (const promise of pending) {
      const error = await fetchError(promise, 'NETWORK_ERROR')
      expect(error.message).toContain('The invocation ended.')
    }
    await Promise.all(closes)
    expect(closes).toHaveLength(2)
    await fetchError(fetcher.fetch({ url: server.url }), 'NETWORK_ERROR')
    expect(server.requests).toHaveLength(2)
  })

  it('reuses connections within an invocation, never across invocations', async () => {
    const server = await serve((request, response) => response.end(String(request.socket.remotePort)))
    const port = async (fetcher: InvocationFetcher) =>
      new TextDecoder().decode((await fetcher.fetch({ url: server.url })).body)
    const first = fetcherFor(server)
    const second = fetcherFor(server)
    const firstA = await port(first)
    const firstB = await port(first)
    const secondA = await port(second)
    expect(firstB).toBe(firstA)
    expect(secondA).not.toBe(firstA)
    expect(server.requests[0]!.headers.connection).toBe('keep-alive')
  })
})
