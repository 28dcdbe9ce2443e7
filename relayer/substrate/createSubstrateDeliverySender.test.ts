import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiPromise } from '@polkadot/api'
import type { KeyringPair } from '@polkadot/keyring/types'
import { UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { substrateDeliveryOf } from '../../test/support/substrateDeliveries.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { createRemarkDelivery } from './createRemarkDelivery.js'
import { createSubstrateDeliverySender } from './createSubstrateDeliverySender.js'
import { createSubstrateStateStore, type SubstrateStateStore } from './createSubstrateStateStore.js'
import type { DeliveryReceipt } from './DeliveryReceipt.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import { submitAndWatch } from './submitAndWatch.js'

let api: ApiPromise
let bob: KeyringPair
let connection: Redis
let dir: string
let provider: TeeProvider
useSubstrateChain({}, (chain) => ({ api, bob } = chain))
useRedisServer({}, (redis) => ({ connection } = redis))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-delivery-sender-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

let nextRequest = 0
/** Deliveries for `count` new requests. */
const deliveriesFor = (count: number) =>
  Promise.all(
    Array.from({ length: count }, () =>
      substrateDeliveryOf({
        provider,
        genesisHash: api.genesisHash.toHex(),
        requestId: `0x${(++nextRequest).toString(16).padStart(64, '0')}` as Hex,
      }),
    ),
  )
const store = (): SubstrateStateStore =>
  createSubstrateStateStore({ redis: connection, chainId: api.genesisHash.toHex() })
const senderWith = (delivery: SubstrateDelivery = createRemarkDelivery()) =>
  createSubstrateDeliverySender({
    api,
    signer: bob,
    store: store(),
    delivery,
    inclusion: 'inBlock',
    inclusionTimeoutMs: 60_000,
  })
const idsOf = (deliveries: DeliveryJobData[]) => deliveries.map((data) => data.envelope.requestId)
const receipts = (results: PromiseSettledResult<DeliveryReceipt>[]) =>
  results.map((result) => (result.status === 'fulfilled' ? result.value : result.reason))

describe('createSubstrateDeliverySender', () => {
  it('sends several deliveries as one batchAll with the next nonce, and indexes them as delivered', async () => {
    const sender = senderWith()
    const nonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber()
    const deliveries = await deliveriesFor(3)
    const [first, second, third] = receipts(await sender.send(deliveries))
    expect(first).toMatchObject({
      requestId: deliveries[0]!.envelope.requestId,
      alreadyDelivered: false,
      nonce,
      batchSize: 3,
    })
    expect(second).toMatchObject({ blockHash: first.blockHash, extrinsicIndex: first.extrinsicIndex })
    expect(third).toMatchObject({ blockHash: first.blockHash, extrinsicIndex: first.extrinsicIndex })
    const block = await api.rpc.chain.getBlock(first.blockHash)
    const extrinsic = block.block.extrinsics[first.extrinsicIndex]!
    expect(`${extrinsic.method.section}.${extrinsic.method.method}`).toBe('utility.batchAll')
    expect(await store().getDelivered(idsOf(deliveries))).toEqual(
      deliveries.map(() => ({
        blockHash: first.blockHash,
        extrinsicIndex: first.extrinsicIndex,
        by: 'submitter',
      })),
    )
    expect(await store().getInflight(idsOf(deliveries))).toEqual([undefined, undefined, undefined])

    // The next extrinsic gets the next nonce from the sender itself, without asking the node.
    const [next] = receipts(await sender.send(await deliveriesFor(1)))
    expect(next).toMatchObject({ nonce: nonce + 1, batchSize: 1 })
    expect(sender.stats()).toEqual({
      sent: 2,
      included: 2,
      delivered: 4,
      resubmitted: 0,
      failed: 0,
      nonceResyncs: 0,
    })
  })

  it('sends again at once with a fresh nonce when the node refuses a stale one', async () => {
    const sender = senderWith()
    const [warm] = receipts(await sender.send(await deliveriesFor(1)))
    // The fee payer's key used elsewhere: the sender's next nonce is now taken.
    const other = api.tx.system.remark('0x01')
    await other.signAsync(bob, { nonce: warm.nonce + 1 })
    await submitAndWatch(api, other)

    const [delivered] = receipts(await sender.send(await deliveriesFor(1)))
    expect(delivered).toMatchObject({ alreadyDelivered: false, nonce: warm.nonce + 2 })
    expect(sender.stats()).toMatchObject({ sent: 3, included: 2, resubmitted: 1, nonceResyncs: 1, failed: 0 })
  })

  it('fails for good a delivery whose call cannot be built, and delivers the others', async () => {
    const deliveries = await deliveriesFor(3)
    const remarks = createRemarkDelivery()
    const sender = senderWith({
      name: 'no call for the second',
      buildCall: (chainApi, data) => {
        if (data === deliveries[1]) throw new Error('no call')
        return remarks.buildCall(chainApi, data)
      },
    })
    const [first, refused, third] = receipts(await sender.send(deliveries))
    expect(refused).toBeInstanceOf(UnrecoverableError)
    expect(first).toMatchObject({ batchSize: 2 })
    expect(third).toMatchObject({ batchSize: 2, blockHash: first.blockHash })
    expect(await store().getDelivered([deliveries[1]!.envelope.requestId])).toEqual([undefined])
  })

  it('fails every delivery of an extrinsic that failed on-chain, and frees their markers', async () => {
    // A call the fee payer may not make: the batchAll carrying it fails as a whole.
    const sender = senderWith({
      name: 'root only',
      buildCall: (chainApi) => chainApi.tx.system.setStorage([]),
    })
    const deliveries = await deliveriesFor(2)
    for (const error of receipts(await sender.send(deliveries))) {
      expect(error).toMatchObject({
        code: 'DELIVERY_NOT_INCLUDED',
        details: expect.stringMatching(/^BadOrigin in block/),
      })
    }
    expect(await store().getInflight(idsOf(deliveries))).toEqual([undefined, undefined])
    expect(await store().getDelivered(idsOf(deliveries))).toEqual([undefined, undefined])
    expect(sender.stats()).toMatchObject({ sent: 1, included: 0, failed: 1 })
  })
})
