import { id } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { signTestEnvelope, useDevWorkers } from '../../test/support/devWorkers.js'
import { mined } from '../../test/support/teefnContracts.js'
import { type ApiOnChain, useApiOnChain } from '../../test/support/useApiOnChain.js'

let api: ApiOnChain
useApiOnChain((ready) => {
  api = ready
})

const named = useDevWorkers('a', 'b', 'stranger')
let workers: TeeProvider[]
beforeAll(async () => {
  workers = [named.a, named.b, named.stranger]
  // a and b are admitted workers; the third key never was.
  for (const worker of workers.slice(0, 2)) {
    await mined(
      api.f.registry
        .connect(api.f.admin)
        .admitWorker(worker.publicKeys.evmAddress, id('quote'), api.f.workerExpiresAt),
    )
  }
})

const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex
const requestId = `0x${'ab'.repeat(32)}` as Hex
const sign = (worker: TeeProvider, result: string, chainId: bigint = api.f.chainId) =>
  signTestEnvelope(worker, { chainId, destination: consumer, requestId, result })
const post = (envelope: unknown) =>
  api.app.inject({ method: 'POST', url: '/v1/envelopes', payload: envelope as object })
const collected = async () => {
  const response = await api.app.inject({
    method: 'GET',
    url: `/v1/envelopes?chainId=${api.f.chainId}&consumer=${consumer}&requestId=${requestId}`,
  })
  expect(response.statusCode, response.body).toBe(200)
  return (response.json() as { envelopes: Envelope[] }).envelopes
}
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error

describe('POST /v1/envelopes and GET /v1/envelopes', () => {
  it("keeps each signer's first envelope and returns them all", async () => {
    const [a, b] = [await sign(workers[0]!, '42'), await sign(workers[1]!, '43')]
    const first = await post(a)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toEqual({ stored: true, signer: a.worker })
    expect((await post(b)).json()).toEqual({ stored: true, signer: b.worker })
    // Posting again (a retry) is harmless; another answer by the same worker is not taken.
    expect((await post(a)).json()).toEqual({ stored: false, signer: a.worker })
    expect((await post(await sign(workers[0]!, '99'))).json()).toMatchObject({ stored: false })
    const envelopes = await collected()
    expect(envelopes).toHaveLength(2)
    expect(envelopes).toEqual(expect.arrayContaining([a, b]))
  })

  it('refuses altered, forged and malformed envelopes and other chains, keeping nothing of them', async () => {
    const before = await collected()
    const genuine = await sign(workers[1]!, '7')
    const altered = await post({ ...genuine, result: '0x3838', resultHash: genuine.resultHash })
    expect(altered.statusCode).toBe(400)
    expect(errorOf(altered)).toMatchObject({
      code: 'ENVELOPE_INVALID',
      message: expect.stringContaining('hash'),
    })
    // The signature is real, but the worker named is another one.
    const forged = await post({ ...genuine, worker: (await sign(workers[0]!, '7')).worker })
    expect(errorOf(forged)).toMatchObject({
      code: 'ENVELOPE_INVALID',
      message: expect.stringContaining('recovers'),
    })
    const malformed = await post({ ...genuine, signature: '0x1234' })
    expect(malformed.statusCode).toBe(400)
    expect(['ENVELOPE_INVALID', 'VALIDATION_FAILED']).toContain(errorOf(malformed).code)
    const otherChain = await post(await sign(workers[0]!, '7', 999n))
    expect(errorOf(otherChain).code).toBe('CHAIN_NOT_SERVED')
    // Well signed, but by a key the registry never admitted.
    const stranger = await post(await sign(workers[2]!, '7'))
    expect(stranger.statusCode, stranger.body).toBe(403)
    expect(errorOf(stranger).code).toBe('WORKER_NOT_ACTIVE')
    expect(await collected()).toEqual(before)
  })

  it('answers an empty list for an unknown request and validates the query', async () => {
    const unknown = await api.app.inject({
      method: 'GET',
      url: `/v1/envelopes?chainId=${api.f.chainId}&consumer=${consumer}&requestId=0x${'ee'.repeat(32)}`,
    })
    expect(unknown.json()).toEqual({ envelopes: [] })
    const bad = await api.app.inject({
      method: 'GET',
      url: '/v1/envelopes?chainId=1&consumer=0x12&requestId=0x',
    })
    expect(bad.statusCode).toBe(400)
    expect(errorOf(bad).code).toBe('VALIDATION_FAILED')
  })
})
