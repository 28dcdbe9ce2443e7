import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { KeyringPair } from '@polkadot/keyring/types'
import { describe, expect, it } from 'vitest'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { findIncludedExtrinsic } from './findIncludedExtrinsic.js'
import { readExtrinsicOutcome } from './readExtrinsicOutcome.js'
import { submitAndWatch } from './submitAndWatch.js'

let api: ApiPromise
let alice: KeyringPair
useSubstrateChain({}, (chain) => ({ api, alice } = chain))

/** Signs with the runtime's next nonce and waits until it is in a block. */
async function included(tx: SubmittableExtrinsic<'promise'>) {
  await tx.signAsync(alice, { nonce: -1 })
  return { txHash: tx.hash.toHex(), inclusion: await submitAndWatch(api, tx, { timeoutMs: 60_000 }) }
}

describe('readExtrinsicOutcome', () => {
  it('finds an extrinsic in its block with its index, and says it succeeded', async () => {
    const { txHash, inclusion } = await included(api.tx.system.remarkWithEvent('0x01'))
    const outcome = await readExtrinsicOutcome(api, { blockHash: inclusion.blockHash, txHash })
    expect(outcome).toEqual(inclusion)
    expect(outcome).toMatchObject({ failed: undefined })
    expect(outcome!.index).toBeGreaterThan(0) // after the block's inherents
  })

  it('names the dispatch error of an extrinsic that failed (a batchAll with a call it may not make)', async () => {
    const { txHash, inclusion } = await included(
      api.tx.utility.batchAll([api.tx.system.remarkWithEvent('0x02'), api.tx.system.setStorage([])]),
    )
    expect(await readExtrinsicOutcome(api, { blockHash: inclusion.blockHash, txHash })).toMatchObject({
      failed: 'BadOrigin',
    })
  })

  it('is undefined for a block that does not hold the extrinsic', async () => {
    const { txHash, inclusion } = await included(api.tx.system.remarkWithEvent('0x03'))
    const header = await api.rpc.chain.getHeader(inclusion.blockHash)
    const parent = header.parentHash.toHex()
    expect(await readExtrinsicOutcome(api, { blockHash: parent, txHash })).toBeUndefined()
  })
})

describe('findIncludedExtrinsic', () => {
  it('searches the canonical blocks from the one it was sent at up to the head', async () => {
    const from = (await api.rpc.chain.getHeader()).number.toNumber()
    const { txHash, inclusion } = await included(api.tx.system.remarkWithEvent('0x04'))
    await included(api.tx.system.remarkWithEvent('0x05')) // a later block on top
    expect(await findIncludedExtrinsic(api, { txHash, fromBlock: from, maxSearchBlocks: 256 })).toEqual(
      inclusion,
    )
    // Not searched: it was sent after the last block the search may look at.
    const head = (await api.rpc.chain.getHeader()).number.toNumber()
    expect(await findIncludedExtrinsic(api, { txHash, fromBlock: from, maxSearchBlocks: 1 })).toBeUndefined()
    expect(
      await findIncludedExtrinsic(api, { txHash, fromBlock: head + 1, maxSearchBlocks: 256 }),
    ).toBeUndefined()
  })
})
