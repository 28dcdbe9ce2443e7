import { afterEach, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { startHttpServer } from '../../test/support/startHttpServer.js'
import { createInvocationFetcher, type InvocationFetcher } from './createInvocationFetcher.js'
import { createMemoryBudget } from './createMemoryBudget.js'
import { createMockTransport } from './createMockTransport.js'
import { createNetworkPolicy } from './createNetworkPolicy.js'
import { FetchError } from './FetchError.js'
import { type HttpMock, parseHttpMocks } from './parseHttpMocks.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function mockedFetcher(
  mocks: HttpMock[],
  overrides: Partial<Parameters<typeof createInvocationFetcher>[0]> = {},
): InvocationFetcher {
  const fetcher = createInvocationFetcher({
    policy: createNetworkPolicy(),
    deadlineAt: Date.now() + 10_000,
    transport: createMockTransport({ mocks: parseHttpMocks(mocks) }),
    ...overrides,
  })
  cleanups.push(() => fetcher.close())
  return fetcher
}

const text = (body: Uint8Array) => new TextDecoder().decode(body)

async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  const error = await rejectionOf(promise)
  expect(error).toBeInstanceOf(FetchError)
  return error as FetchError
}

describe('createMockTransport', () => {
  it('answers an exact URL, query included, and nothing else under it', async () => {
    const fetcher = mockedFetcher([
      { request: { url: 'https://api.example.com/price?pair=ETH' }, response: { body: 'eth' } },
    ])
    const response = await fetcher.fetch({ url: 'https://api.example.com/price?pair=ETH' })
    expect(response.status).toBe(200)
    expect(text(response.body)).toBe('eth')
    expect(response.url).toBe('https://api.example.com/price?pair=ETH')
    const error = await fetchError(fetcher.fetch({ url: 'https://api.example.com/price?pair=BTC' }))
    expect(error.code).toBe('NETWORK_ERROR')
  })

  it('answers every URL under a prefix that ends in *, query included', async () => {
    const fetcher = mockedFetcher([
      { request: { url: 'https://API.example.com/v1/*' }, response: { body: 'v1' } },
      { request: { url: 'https://api.example.com/q?a=*' }, response: { body: 'q' } },
    ])
    expect(text((await fetcher.fetch({ url: 'https://api.example.com/v1/a/b?c=d' })).body)).toBe('v1')
    expect(text((await fetcher.fetch({ url: 'https://api.example.com/q?a=123' })).body)).toBe('q')
    await fetchError(fetcher.fetch({ url: 'https://api.example.com/v2/a' }))
  })

  it('matches the method and every listed header, names case-insensitive and values exact', async () => {
    const fetcher = mockedFetcher([
      {
        request: { method: 'post', url: 'https://api.example.com/a', headers: { 'X-Api-Key': 'k1' } },
        response: { body: 'keyed' },
      },
    ])
    const response = await fetcher.fetch({
      url: 'https://api.example.com/a',
      method: 'POST',
      headers: { 'x-API-key': 'k1', other: 'x' },
      body: '{}',
    })
    expect(text(response.body)).toBe('keyed')
    await fetchError(
      fetcher.fetch({ url: 'https://api.example.com/a', method: 'POST', headers: { 'x-api-key': 'K1' } }),
    )
    await fetchError(fetcher.fetch({ url: 'https://api.example.com/a', method: 'POST' }))
    await fetchError(fetcher.fetch({ url: 'https://api.example.com/a', headers: { 'x-api-key': 'k1' } }))
  })

  it('fails an unmatched request like a network error naming its method and URL', async () => {
    const fetcher = mockedFetcher([{ request: { url: 'https://api.example.com/a' }, response: {} }])
    const error = await fetchError(fetcher.fetch({ url: 'https://api.example.com/b?x=1', method: 'DELETE' }))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.shortMessage).toBe('No mock matches DELETE https://api.example.com/b?x=1.')
  })

  it('sends json with content-type application/json unless the mock names one', async () => {
    const fetcher = mockedFetcher([
      { request: { url: 'https://api.example.com/a' }, response: { status: 201, json: { price: 1.5 } } },
      {
        request: { url: 'https://api.example.com/b' },
        response: { headers: { 'Content-Type': 'application/vnd.x+json' }, json: [1] },
      },
    ])
    const a = await fetcher.fetch({ url: 'https://api.example.com/a' })
    expect(a.status).toBe(201)
    expect(a.statusText).toBe('Created')
    expect(JSON.parse(text(a.body))).toEqual({ price: 1.5 })
    expect(a.headers).toContainEqual(['content-type', 'application/json'])
    expect(a.headers).toContainEqual(['content-length', String(a.body.length)])
    const b = await fetcher.fetch({ url: 'https://api.example.com/b' })
    expect(b.headers.filter(([name]) => name === 'content-type')).toEqual([
      ['content-type', 'application/vnd.x+json'],
    ])
  })

  it('counts mocked fetches: one more than maxFetches fails as a real one does', async () => {
    const fetcher = mockedFetcher(
      [{ request: { url: 'https://api.example.com/*' }, response: { body: 'x' } }],
      {
        maxFetches: 2,
      },
    )
    await fetcher.fetch({ url: 'https://api.example.com/1' })
    await fetcher.fetch({ url: 'https://api.example.com/2' })
    const error = await fetchError(fetcher.fetch({ url: 'https://api.example.com/3' }))
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(error.shortMessage).toBe('This invocation already started 2 fetches, the limit.')
    expect(fetcher.count).toBe(2)
  })

  it('applies the response size limit to mocked bodies', async () => {
    const big = 'x'.repeat(2000)
    const fetcher = mockedFetcher(
      [
        { request: { url: 'https://api.example.com/fits' }, response: { body: 'x'.repeat(1000) } },
        { request: { url: 'https://api.example.com/big' }, response: { body: big } },
      ],
      { maxResponseBytes: 1000 },
    )
    expect((await fetcher.fetch({ url: 'https://api.example.com/fits' })).body.length).toBe(1000)
    const error = await fetchError(fetcher.fetch({ url: 'https://api.example.com/big' }))
    expect(error.code).toBe('RESPONSE_TOO_LARGE')
  })

  it('reserves mocked bodies from the invocation memory', async () => {
    const memory = createMemoryBudget({ limitBytes: 1500 })
    const fetcher = mockedFetcher(
      [{ request: { url: 'https://api.example.com/*' }, response: { body: 'x'.repeat(1000) } }],
      { memory },
    )
    const first = await fetcher.fetch({ url: 'https://api.example.com/1' })
    const error = await fetchError(fetcher.fetch({ url: 'https://api.example.com/2' }))
    expect(error.code).toBe('MEMORY_LIMIT')
    first.memory?.release()
    await fetcher.fetch({ url: 'https://api.example.com/3' })
  })

  it('follows a mocked redirect to another mocked URL', async () => {
    const fetcher = mockedFetcher([
      {
        request: { url: 'https://api.example.com/old' },
        response: { status: 302, headers: { location: 'https://cdn.example.com/new' } },
      },
      { request: { url: 'https://cdn.example.com/new' }, response: { body: 'moved' } },
    ])
    const response = await fetcher.fetch({ url: 'https://api.example.com/old' })
    expect(text(response.body)).toBe('moved')
    expect(response.redirected).toBe(true)
    expect(response.url).toBe('https://cdn.example.com/new')
  })

  it('still refuses IP literals the policy denies, and sends nothing to an allowed server', async () => {
    const server = await startHttpServer((_request, response) => response.end('real'))
    cleanups.push(() => server.close())
    const url = `${server.url}/a`
    const denied = mockedFetcher([{ request: { url }, response: { body: 'mocked' } }])
    expect((await fetchError(denied.fetch({ url }))).code).toBe('HOST_NOT_ALLOWED')
    const allowed = mockedFetcher([{ request: { url }, response: { body: 'mocked' } }], {
      policy: createNetworkPolicy({ allowHosts: [`127.0.0.1:${server.port}`] }),
    })
    expect(text((await allowed.fetch({ url })).body)).toBe('mocked')
    await fetchError(allowed.fetch({ url: `${server.url}/unmocked` }))
    expect(server.requests).toHaveLength(0)
  })
})
