import type { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { attestWorker } from '../../runtime/enclave/attestWorker.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import { signTestEnvelope, useDevWorkers } from '../../test/support/devWorkers.js'
import { buildServer, type TeefnServer } from '../buildServer.js'

// Substrate quorum envelopes: no registry to ask, so a node keeps those of its chain's pinned workers and its own.
const genesisHash = `0x${'47'.repeat(32)}` as Hex
const requester = `0x${'d4'.repeat(32)}` as Hex
const requestId = `0x${'ab'.repeat(32)}` as Hex
let redisServer: RedisServer
let connection: Redis
let app: TeefnServer
/** own (this node's worker), pinned (a listed peer), stranger (listed nowhere). */
const workers = useDevWorkers('own', 'pinned', 'stranger')

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  app = await buildServer({
    connection,
    store: createRedisFunctionStore({ redis: connection }),
    attestation: await attestWorker({ provider: workers.own, measurement: new Uint8Array(32) }),
    chains: { substrate: [{ genesisHash, resultWorkers: [workers.pinned.publicKeys.sr25519] }] },
    rateLimit: false,
    logger: pino({ level: 'silent' }),
  })
}, 60_000)

afterAll(async () => {
  await app?.close()
  connection?.disconnect()
  await redisServer?.stop()
})

const sign = (worker: TeeProvider, result: string, chainId: Hex = genesisHash) =>
  signTestEnvelope(worker, { family: 'substrate', chainId, destination: requester, requestId, result })
const post = (envelope: unknown) =>
  app.inject({ method: 'POST', url: '/v1/envelopes', payload: envelope as object })
const held = async () => {
  const response = await app.inject({
    method: 'GET',
    url: `/v1/envelopes?chainId=${genesisHash}&consumer=${requester}&requestId=${requestId}`,
  })
  expect(response.statusCode, response.body).toBe(200)
  return (response.json() as { envelopes: Envelope[] }).envelopes
}
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error

describe('POST /v1/envelopes and GET /v1/envelopes for Substrate', () => {
  it("keeps the own worker's and pinned workers' envelopes, named by genesis hash and requester", async () => {
    const mine = await sign(workers.own, '42')
    const theirs = await sign(workers.pinned, '42')
    const first = await post(mine)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toEqual({ stored: true, signer: mine.worker })
    expect((await post(theirs)).json()).toEqual({ stored: true, signer: theirs.worker })
    expect((await post(theirs)).json()).toEqual({ stored: false, signer: theirs.worker })
    expect(await held()).toEqual(expect.arrayContaining([mine, theirs]))
    expect(await held()).toHaveLength(2)
  })

  it('refuses a signer outside the pinned set, another chain, and a broken signature', async () => {
    const before = await held()
    const outsider = await post(await sign(workers.stranger, '42'))
    expect(outsider.statusCode, outsider.body).toBe(403)
    expect(errorOf(outsider).code).toBe('WORKER_NOT_ACTIVE')
    const otherChain = await post(await sign(workers.pinned, '42', `0x${'48'.repeat(32)}`))
    expect(otherChain.statusCode).toBe(400)
    expect(errorOf(otherChain).code).toBe('CHAIN_NOT_SERVED')
    const genuine = await sign(workers.pinned, '43')
    // A pinned key named, but another key signed.
    const forged = await post({ ...(await sign(workers.stranger, '43')), worker: genuine.worker })
    expect(errorOf(forged)).toMatchObject({
      code: 'ENVELOPE_INVALID',
      message: expect.stringContaining('sr25519'),
    })
    const altered = await post({ ...genuine, result: '0x3838' })
    expect(errorOf(altered).code).toBe('ENVELOPE_INVALID')
    expect(await held()).toEqual(before)
  })

  it('keeps Substrate and EVM requests apart and validates the query', async () => {
    // The same ids under an EVM chain id name another request.
    const evm = await app.inject({
      method: 'GET',
      url: `/v1/envelopes?chainId=1&consumer=0x${'d4'.repeat(20)}&requestId=${requestId}`,
    })
    expect(evm.json()).toEqual({ envelopes: [] })
    const bad = await app.inject({
      method: 'GET',
      url: `/v1/envelopes?chainId=0x1234&consumer=${requester}&requestId=${requestId}`,
    })
    expect(bad.statusCode).toBe(400)
    expect(errorOf(bad).code).toBe('VALIDATION_FAILED')
  })
})
