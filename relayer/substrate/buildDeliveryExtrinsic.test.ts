import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiPromise } from '@polkadot/api'
import type { Call } from '@polkadot/types/interfaces'
import { UnrecoverableError } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { substrateDeliveryOf } from '../../test/support/substrateDeliveries.js'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { buildDeliveryExtrinsic } from './buildDeliveryExtrinsic.js'
import { createRemarkDelivery, resultRemarkOf } from './createRemarkDelivery.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'

let api: ApiPromise
let dir: string
let deliveries: DeliveryJobData[]
useSubstrateChain({}, (chain) => ({ api } = chain))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-build-delivery-'))
  const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  const genesisHash = api.genesisHash.toHex()
  deliveries = await Promise.all(
    [1, 2, 3].map((n) =>
      substrateDeliveryOf({ provider, genesisHash, requestId: `0x${String(n).repeat(64)}` as Hex }),
    ),
  )
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const remarks = createRemarkDelivery()
/** The remark protocol, except for the deliveries whose request id is in `refused`. */
const refusing = (...refused: DeliveryJobData[]): SubstrateDelivery => ({
  name: 'refusing',
  buildCall: (chainApi, data) => {
    if (refused.includes(data)) throw new Error('this chain has no call for it')
    return remarks.buildCall(chainApi, data)
  },
})
const remarkBytesOf = (call: Pick<Call, 'args'>) => call.args[0]!.toHex()

describe('buildDeliveryExtrinsic', () => {
  it('is the delivery’s own call for one delivery', () => {
    const { extrinsic, errors } = buildDeliveryExtrinsic({
      api,
      delivery: remarks,
      deliveries: deliveries.slice(0, 1),
    })
    expect(errors).toEqual([undefined])
    expect(`${extrinsic!.method.section}.${extrinsic!.method.method}`).toBe('system.remarkWithEvent')
    expect(remarkBytesOf(extrinsic!.method)).toBe(
      `0x${Buffer.from(resultRemarkOf(deliveries[0]!)).toString('hex')}`,
    )
  })

  it('puts several into one utility.batchAll, in order', () => {
    const { extrinsic, errors } = buildDeliveryExtrinsic({ api, delivery: remarks, deliveries })
    expect(errors).toEqual([undefined, undefined, undefined])
    expect(`${extrinsic!.method.section}.${extrinsic!.method.method}`).toBe('utility.batchAll')
    const calls = extrinsic!.method.args[0] as unknown as Call[]
    expect(calls.map(remarkBytesOf)).toEqual(
      deliveries.map((data) => `0x${Buffer.from(resultRemarkOf(data)).toString('hex')}`),
    )
  })

  it('leaves out a delivery whose call cannot be built, failing it for good, and keeps the others', () => {
    const { extrinsic, errors } = buildDeliveryExtrinsic({
      api,
      delivery: refusing(deliveries[1]!),
      deliveries,
    })
    expect(errors[1]).toBeInstanceOf(UnrecoverableError)
    expect(errors[1]?.message).toMatch(/cannot build the delivery call: this chain has no call for it/)
    expect([errors[0], errors[2]]).toEqual([undefined, undefined])
    expect((extrinsic!.method.args[0] as unknown as Call[]).length).toBe(2)

    const none = buildDeliveryExtrinsic({ api, delivery: refusing(...deliveries), deliveries })
    expect(none.extrinsic).toBeUndefined()
    expect(none.errors.every((error) => error instanceof UnrecoverableError)).toBe(true)
  })
})
