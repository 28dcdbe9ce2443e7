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

  it('runs a Lit Action with compat, jsParams and a dev key, its signatures out as compat.signatures', async () => {
    const source = join(dir, 'lit.js')
    await writeFile(
      source,
      `(async () => {
        const answer = await (await fetch(url)).text()
        await LitActions.signEcdsa({ toSign: new Uint8Array(32).fill(7), publicKey: '0x04aa', sigName })
        LitActions.setResponse({ response: answer })
      })()`,
    )
    const devKey = new Uint8Array(32).fill(9)
    const run = () =>
      runFunction({
        entry: source,
        compat: 'lit',
        jsParams: { url: 'https://api.example.com/word', sigName: 'sig1' },
        devKey,
        mocks: [{ request: { url: 'https://api.example.com/word' }, response: { body: 'hi' } }],
      })
    const report = await run()
    expect(report).toMatchObject({ ok: true, result: 'hi', error: null, stats: { fetches: 1 } })
    const signatures = report.compat?.signatures as Record<string, { dataSigned: string; publicKey: string }>
    expect(signatures.sig1?.dataSigned).toBe('07'.repeat(32))
    // The dev key names the function: the same key signs with the same public key.
    expect((await run()).compat?.signatures).toEqual(signatures)
  })

  it('runs a Lit Action module that exports main, with its return value as JSON', async () => {
    const source = join(dir, 'litMain.ts')
    await writeFile(
      source,
      `export async function main({ a, b }: { a: number; b: number }) {
        return { sum: a + b, key: (await Lit.Actions.getLitActionPrivateKey()).length }
      }
      declare const Lit: { Actions: { getLitActionPrivateKey(): Promise<string> } }`,
    )
    const report = await runFunction({ entry: source, compat: 'lit', jsParams: { a: 2, b: 3 } })
    expect(report).toMatchObject({ ok: true, result: '{"sum":5,"key":66}', error: null })
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
