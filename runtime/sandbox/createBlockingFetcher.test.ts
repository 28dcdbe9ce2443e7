import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseHttpMocks } from '../http/parseHttpMocks.js'
import { type BlockingFetchJob, createBlockingFetcher } from './createBlockingFetcher.js'

const fetcher = createBlockingFetcher()
/** Accepts connections and never answers: this thread is blocked while the helper waits on it anyway. */
let silent: Server
let silentPort: number

beforeAll(async () => {
  silent = createServer(() => {})
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  silentPort = (silent.address() as { port: number }).port
})

afterAll(async () => {
  fetcher.close()
  await new Promise((resolve) => silent.close(resolve))
})

const mocks = parseHttpMocks([
  { request: { url: 'https://api.example/price' }, response: { json: { price: 3000.5 } } },
  { request: { method: 'POST', url: 'https://api.example/echo' }, response: { status: 201, body: 'made' } },
  { request: { url: 'https://api.example/big' }, response: { body: 'x'.repeat(2048) } },
])

function job(
  requests: BlockingFetchJob['requests'],
  extra: Partial<BlockingFetchJob> = {},
): BlockingFetchJob {
  return { requests, allowHosts: [], httpMocks: mocks, timeoutMs: 5_000, maxResponseBytes: 1024, ...extra }
}

describe('createBlockingFetcher', () => {
  it('blocks until every request ended and returns them in order, through the mocks and their limits', () => {
    const results = fetcher.fetchAll(
      job([
        { url: 'https://api.example/price' },
        { url: 'https://api.example/echo', method: 'POST', body: 'hi' },
        { url: 'https://api.example/big' },
        { url: 'https://api.example/missing' },
      ]),
      Date.now() + 20_000,
    )
    expect(results).toHaveLength(4)
    const [price, echo, big, missing] = results!
    expect(price).toMatchObject({ ok: true, status: 200, statusText: 'OK' })
    expect(price?.ok && new TextDecoder().decode(price.body)).toBe('{"price":3000.5}')
    expect(price?.ok && price.headers).toContainEqual(['content-type', 'application/json'])
    expect(echo).toMatchObject({ ok: true, status: 201 })
    expect(big).toMatchObject({ ok: false, code: 'RESPONSE_TOO_LARGE' })
    expect(missing).toMatchObject({ ok: false, code: 'NETWORK_ERROR' })
    expect(missing?.ok === false && missing.message).toContain('GET https://api.example/missing')
  })

  it('applies the network policy: loopback only when allowed', () => {
    const url = `http://127.0.0.1:${silentPort}/`
    const [denied] = fetcher.fetchAll(job([{ url }], { httpMocks: undefined }), Date.now() + 20_000)!
    expect(denied).toMatchObject({ ok: false, code: 'HOST_NOT_ALLOWED' })
    const [slow] = fetcher.fetchAll(
      job([{ url }], { httpMocks: undefined, allowHosts: [`127.0.0.1:${silentPort}`], timeoutMs: 300 }),
      Date.now() + 20_000,
    )!
    expect(slow).toMatchObject({ ok: false, code: 'TIMEOUT' })
  })

  it('gives up at waitUntil, drops the helper, and serves the next call with a new one', () => {
    const url = `http://127.0.0.1:${silentPort}/`
    const startedAt = Date.now()
    const results = fetcher.fetchAll(
      job([{ url }], { httpMocks: undefined, allowHosts: [`127.0.0.1:${silentPort}`], timeoutMs: 30_000 }),
      startedAt + 400,
    )
    expect(results).toBeUndefined()
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400)
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    const [price] = fetcher.fetchAll(job([{ url: 'https://api.example/price' }]), Date.now() + 20_000)!
    expect(price).toMatchObject({ ok: true, status: 200 })
  })
})
