import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpMockError } from '../../runtime/http/HttpMockError.js'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { runFunction } from './runFunction.js'

let dir: string
let entry: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-testing-'))
  entry = join(dir, 'price.ts')
  await writeFile(
    entry,
    `export default async function main(request: string): Promise<string> {
      const response = await fetch(request)
      if (!response.ok) throw new Error(request + ' answered ' + response.status)
      const { price } = (await response.json()) as { price: number }
      return String(price * 2)
    }`,
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('runFunction', () => {
  it('runs the function in the sandbox with its fetches answered by the mocks', async () => {
    const report = await runFunction({
      entry,
      request: 'https://api.example.com/price?pair=ETH',
      mocks: [{ request: { url: 'https://api.example.com/price*' }, response: { json: { price: 21 } } }],
    })
    expect(report).toMatchObject({ ok: true, result: '42', error: null, stats: { fetches: 1 } })
  })

  it('runs a Chainlink Functions source with compat, args and mocks', async () => {
    const source = join(dir, 'chainlink.js')
    await writeFile(
      source,
      `const answer = await Functions.makeHttpRequest({ url: args[0], responseType: 'text' })
      if (answer.error) throw Error(answer.message)
      return Functions.encodeString(answer.data)`,
    )
    const report = await runFunction({
      entry: source,
      compat: 'chainlink',
      args: ['https://api.example.com/word'],
      mocks: [{ request: { url: 'https://api.example.com/word' }, response: { body: 'hi' } }],
    })
    expect(report).toMatchObject({ ok: true, result: '0x6869', error: null, stats: { fetches: 1 } })
  })

  it("runs a Phat function, its secrets string as main's second argument", async () => {
    const source = join(dir, 'phat.js')
    await writeFile(
      source,
      `export default function main(request, secrets) {
        const response = pink.httpRequest({ url: secrets, returnTextBody: true })
        return request + ':' + response.body
      }`,
    )
    const report = await runFunction({
      entry: source,
      compat: 'phat',
      request: '0x01',
      secrets: 'https://api.example.com/word',
      mocks: [{ request: { url: 'https://api.example.com/word' }, response: { body: 'hi' } }],
    })
    expect(report).toMatchObject({ ok: true, result: '0x01:hi', error: null, stats: { fetches: 1 } })
    const error = await rejectionOf(runFunction({ entry, secrets: 'text' }))
    expect((error as Error).message).toContain("secrets is a string only with compat: 'phat'")
  })

  it('reports an unmatched fetch as the function failing with a network error naming method and URL', async () => {
    const report = await runFunction({
      entry,
      request: 'https://api.example.com/other',
      mocks: [{ request: { url: 'https://api.example.com/price' }, response: { status: 503 } }],
    })
    expect(report.ok).toBe(false)
    expect(report.error?.code).toBe('FUNCTION_ERROR')
    expect(report.error?.message).toContain('No mock matches GET https://api.example.com/other.')
  })

  it('refuses malformed mocks before running, naming the entry and field', async () => {
    const error = await rejectionOf(
      runFunction({ entry, mocks: [{ request: { url: 'https://a.example/' }, response: { status: 42 } }] }),
    )
    expect(error).toBeInstanceOf(HttpMockError)
    expect((error as HttpMockError).shortMessage).toMatch(/^mocks\[0\]\.response\.status/)
  })
})
