import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { waitForReceipt } from './waitForReceipt.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
})
afterAll(() => rpc?.close())

/** A transaction in the node's pool (mined at once under automine). */
const sendOne = async () => (await f.stranger.sendTransaction({ to: f.stranger.address, value: 0n })).hash

describe('waitForReceipt', () => {
  it('resolves with the receipt once the transaction is mined', async () => {
    const hash = await sendOne()
    const receipt = await waitForReceipt({ rpc, hash, timeoutMs: 10_000 })
    expect(receipt.status).toBe('0x1')
    expect(Number(receipt.blockNumber)).toBe((await f.provider.getTransactionReceipt(hash))!.blockNumber)
  })

  it('gives up with FULFILMENT_NOT_MINED after timeoutMs, telling onTimeout first', async () => {
    await anvil.rpc('evm_setAutomine', [false])
    try {
      const hash = await sendOne()
      let timedOut = 0
      await expect(
        waitForReceipt({ rpc, hash, timeoutMs: 50, onTimeout: () => timedOut++ }),
      ).rejects.toMatchObject({ code: 'FULFILMENT_NOT_MINED', details: expect.stringContaining(hash) })
      expect(timedOut).toBe(1)

      const later = waitForReceipt({ rpc, hash, timeoutMs: 10_000 })
      await anvil.mine(1)
      expect((await later).status).toBe('0x1')
    } finally {
      await anvil.rpc('evm_setAutomine', [true])
    }
  })
})
