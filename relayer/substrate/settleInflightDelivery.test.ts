import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { KeyringPair } from '@polkadot/keyring/types'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { ChopsticksChain } from '../../test/support/chopsticks.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { createSubstrateStateStore, type InflightRecord } from './createSubstrateStateStore.js'
import { settleInflightDelivery } from './settleInflightDelivery.js'
import { submitAndWatch } from './submitAndWatch.js'

let chain: ChopsticksChain
let api: ApiPromise
let bob: KeyringPair
let connection: Redis
useSubstrateChain({}, (used) => ({ chain, api, bob } = used))
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))

const requestId = `0x${'0e'.repeat(32)}` as Hex
const store = () => createSubstrateStateStore({ redis: connection, chainId: api.genesisHash.toHex() })
const nextNonce = async () => (await api.rpc.system.accountNextIndex(bob.address)).toNumber()
const bestBlock = async () => (await api.rpc.chain.getHeader()).number.toNumber()
const remark = (text: string) => api.tx.system.remarkWithEvent(`0x${Buffer.from(text).toString('hex')}`)

/** What the submitter stores before it sends `tx`: signed with `nonce`, sent at the best block now. */
async function markerOf(tx: SubmittableExtrinsic<'promise'>, nonce: number): Promise<InflightRecord> {
  await tx.signAsync(bob, { nonce })
  const marker = { nonce, txHash: tx.hash.toHex(), sentAtBlock: await bestBlock(), sentAt: Date.now() }
  await store().setInflight([requestId], marker)
  return marker
}

const settle = (marker: InflightRecord, timeoutMs = 30_000) =>
  settleInflightDelivery({
    api,
    store: store(),
    address: bob.address,
    requestId,
    marker,
    timeoutMs,
    maxSearchBlocks: 256,
  })

describe('settleInflightDelivery', () => {
  it('finds the earlier attempt included: records it as delivered, and nothing is sent again', async () => {
    const tx = remark('delivered before a crash')
    const marker = await markerOf(tx, await nextNonce())
    const inclusion = await submitAndWatch(api, tx)
    expect(await settle(marker)).toEqual({
      requestId,
      blockHash: inclusion.blockHash,
      extrinsicIndex: inclusion.index,
      alreadyDelivered: true,
    })
    expect(await store().getDelivered([requestId])).toEqual([
      { blockHash: inclusion.blockHash, extrinsicIndex: inclusion.index, by: 'submitter' },
    ])
    expect(await store().getInflight([requestId])).toEqual([undefined])
  })

  it('sends again when another extrinsic took the attempt’s nonce', async () => {
    const nonce = await nextNonce()
    const marker = await markerOf(remark('never sent'), nonce)
    const other = remark('the fee payer’s other extrinsic')
    await other.signAsync(bob, { nonce })
    await submitAndWatch(api, other)
    expect(await settle(marker)).toBeUndefined()
    expect(await store().getInflight([requestId])).toEqual([undefined])
    expect(await store().getDelivered([requestId])).toEqual([undefined])
  })

  it('sends again when the attempt left the pool with its nonce unused (dropped)', async () => {
    const marker = await markerOf(remark('dropped'), await nextNonce())
    expect(await settle(marker)).toBeUndefined()
    expect(await store().getInflight([requestId])).toEqual([undefined])
  })

  it('waits while the attempt is still in the pool: DELIVERY_STILL_PENDING after the timeout, its receipt once included', async () => {
    await chain.rpc('dev_setBlockBuildMode', ['Manual'])
    try {
      const tx = remark('in the pool')
      const marker = await markerOf(tx, await nextNonce())
      await api.rpc.author.submitExtrinsic(tx)
      await expect(settle(marker, 0)).rejects.toMatchObject({ code: 'DELIVERY_STILL_PENDING' })
      expect(await store().getInflight([requestId])).toEqual([marker])

      const settling = settle(marker)
      await chain.rpc('dev_newBlock', [{}])
      expect(await settling).toMatchObject({ requestId, alreadyDelivered: true })
    } finally {
      await chain.rpc('dev_setBlockBuildMode', ['Instant'])
    }
  })
})
