import type { Redis } from 'ioredis'
import { beforeAll, describe, expect, it } from 'vitest'
import { signTestEnvelope, useDevWorkers } from '../../test/support/devWorkers.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import type { Hex } from '../bytes.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import { createQuorumEnvelopeStore } from './createQuorumEnvelopeStore.js'
import { quorumEnvelopeChannel, quorumEnvelopeKey } from './quorumEnvelopeKey.js'

let connection: Redis
useRedisServer({ isolate: true }, (redis) => {
  connection = redis.connection
})

const named = useDevWorkers('a', 'b', 'c')
const workers: TeeProvider[] = []
beforeAll(() => {
  workers.push(named.a, named.b, named.c)
})

const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex
const requestId = `0x${'ab'.repeat(32)}` as Hex
const sign = (worker: TeeProvider, result: string, codeHash: Hex = `0x${'03'.repeat(32)}`) =>
  signTestEnvelope(worker, { destination: consumer, requestId, codeHash, result })
const ref = { chainId: '31337', consumer, requestId }
const utf8Hex = (text: string) => `0x${Buffer.from(text).toString('hex')}`

describe('createQuorumEnvelopeStore', () => {
  it('keeps one envelope per signer and request, the first one, in signer order', async () => {
    const store = createQuorumEnvelopeStore({ connection })
    const [a, b] = [await sign(workers[0]!, '1'), await sign(workers[1]!, '2')]
    expect(await store.add(a)).toBe('stored')
    expect(await store.add(b)).toBe('stored')
    // A signer cannot swap its answer once it was heard.
    expect(await store.add(await sign(workers[0]!, '9'))).toBe('known')
    const kept = await store.list({ ...ref, consumer: consumer.toLowerCase(), requestId })
    const expected = [a, b].sort((x, y) => (x.worker.toLowerCase() < y.worker.toLowerCase() ? -1 : 1))
    expect(kept).toEqual(expected)
    expect(kept).not.toContainEqual(expect.objectContaining({ result: utf8Hex('9') }))
    // An answer by another codeHash (the request run again after an upgrade) is another answer.
    const upgraded = await sign(workers[0]!, '9', `0x${'04'.repeat(32)}`)
    expect(await store.add(upgraded)).toBe('stored')
    expect(await store.list(ref)).toContainEqual(upgraded)
    // Another request is another set.
    expect(await store.list({ ...ref, requestId: `0x${'cd'.repeat(32)}` })).toEqual([])
  })

  it('is bounded per request and expires', async () => {
    const store = createQuorumEnvelopeStore({ connection, maxPerRequest: 2, ttlSeconds: 30 })
    expect(await store.add(await sign(workers[0]!, '1'))).toBe('stored')
    expect(await store.add(await sign(workers[1]!, '1'))).toBe('stored')
    expect(await store.add(await sign(workers[2]!, '1'))).toBe('full')
    expect(await store.list(ref)).toHaveLength(2)
    const ttl = await connection.ttl(quorumEnvelopeKey(ref))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(30)
  })

  it('announces each envelope it keeps, not the ones it refuses', async () => {
    const store = createQuorumEnvelopeStore({ connection })
    const subscriber = connection.duplicate()
    const heard: string[] = []
    subscriber.on('message', (_, field: string) => heard.push(field))
    await subscriber.subscribe(quorumEnvelopeChannel(ref))
    try {
      const a = await sign(workers[0]!, '1')
      expect(await store.add(a)).toBe('stored')
      expect(await store.add(await sign(workers[0]!, '9'))).toBe('known')
      await connection.ping()
      await subscriber.ping()
      expect(heard).toEqual([`${a.worker}:${a.codeHash}`.toLowerCase()])
    } finally {
      subscriber.disconnect()
    }
  })
})
