import { getAddress, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Admission,
  type Removal,
  registryDomain,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import { startGatekeeperApi } from './startGatekeeperApi.js'
import { StatementBook } from './statementBook.js'
import { statementToJson } from './statementJson.js'

const domain = registryDomain(31337, `0x${'ab'.repeat(20)}`)
const gatekeeper = new Wallet(`0x${'01'.padStart(64, '0')}`)
const stranger = new Wallet(`0x${'02'.padStart(64, '0')}`)
const admission: Admission = {
  worker: `0x${'cd'.repeat(20)}`,
  quoteHash: `0x${'01'.repeat(32)}`,
  measurement: `0x${'02'.repeat(32)}`,
  expiresAt: 2_000n,
  nonce: 3n,
  deadline: 1_500n,
}
let api: { url: string; close(): Promise<void> }

beforeAll(async () => {
  const book = new StatementBook(domain)
  api = await startGatekeeperApi({
    book,
    isGatekeeper: (address) => address.toLowerCase() === gatekeeper.address.toLowerCase(),
    host: '127.0.0.1',
    port: 0,
  })
})
afterAll(() => api?.close())

const post = (body: unknown) =>
  fetch(`${api.url}/v1/admissions`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe("the gatekeeper's API", () => {
  it("keeps only a current gatekeeper's signature of the posted statement and serves it by worker", async () => {
    const signatures = await Promise.all(
      [gatekeeper, stranger].map((w) => signGatekeeperStatement(w, domain, 'Admission', admission)),
    )
    const posted = await post(statementToJson('Admission', admission, signatures))
    expect(await posted.json()).toEqual({ added: 1 })
    const listed = await fetch(`${api.url}/v1/admissions?worker=${admission.worker}`)
    // Stored as read: the worker checksummed.
    expect(await listed.json()).toEqual({
      admissions: [
        statementToJson('Admission', { ...admission, worker: getAddress(admission.worker) }, [
          signatures[0]!,
        ]),
      ],
    })
    const other = await fetch(`${api.url}/v1/admissions?worker=${gatekeeper.address}`)
    expect(await other.json()).toEqual({ admissions: [] })
  })

  it('keeps and serves removals on /v1/removals, apart from admissions', async () => {
    const removal: Removal = { worker: admission.worker, nonce: 3n, deadline: 1_500n }
    const signature = await signGatekeeperStatement(gatekeeper, domain, 'Removal', removal)
    const posted = await fetch(`${api.url}/v1/removals`, {
      method: 'POST',
      body: JSON.stringify(statementToJson('Removal', removal, [signature])),
    })
    expect(await posted.json()).toEqual({ added: 1 })
    // A removal posted as an admission is malformed.
    expect((await post(statementToJson('Removal', removal, [signature]))).status).toBe(400)
    const listed = await fetch(`${api.url}/v1/removals?worker=${admission.worker}`)
    expect(await listed.json()).toEqual({
      removals: [
        {
          removal: { worker: getAddress(admission.worker), nonce: '3', deadline: '1500' },
          signatures: [signature],
        },
      ],
    })
  })

  it('refuses malformed input with 400, other paths with 404', async () => {
    expect((await post('not json')).status).toBe(400)
    const bad = statementToJson('Admission', admission, []) as {
      admission: Record<string, string>
      signatures: string[]
    }
    expect((await post({ ...bad, admission: { ...bad.admission, nonce: '-1' } })).status).toBe(400)
    expect((await post({ ...bad, signatures: ['0x12'] })).status).toBe(400)
    expect((await fetch(`${api.url}/v1/admissions?worker=nope`)).status).toBe(400)
    expect((await fetch(`${api.url}/v1/other`)).status).toBe(404)
    expect((await post('x'.repeat(20_000))).status).toBe(413)
  })
})
