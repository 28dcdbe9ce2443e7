import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { startLyingRpcProxy } from '../../test/support/startLyingRpcProxy.js'
import type { TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createFeeOracle } from './createFeeOracle.js'
import { createTransactionSender } from './createTransactionSender.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
})
afterAll(() => rpc?.close())

const senderOf = (key = anvil.privateKeys[6]!) =>
  createTransactionSender({ rpc, privateKey: key, chainId: BigInt(anvil.chainId) })
const to = () => f.stranger.address
const data = '0xc0ffee' as const

describe('createTransactionSender', () => {
  it('signs and broadcasts from its key with consecutive nonces, several in flight together', async () => {
    const sender = senderOf()
    expect(sender.address).toBe(anvil.accounts[6])
    const first = await f.provider.getTransactionCount(sender.address)
    const hashes = await Promise.all([0, 1, 2].map(() => sender.send({ to: to(), data, gas: 30_000n })))
    const mined = await Promise.all(hashes.map((hash) => f.provider.waitForTransaction(hash, 1, 10_000)))
    const transactions = await Promise.all(hashes.map((hash) => f.provider.getTransaction(hash)))
    expect(transactions.map((transaction) => transaction!.nonce).sort()).toEqual([
      first,
      first + 1,
      first + 2,
    ])
    expect(mined.every((receipt) => receipt!.from === sender.address && receipt!.status === 1)).toBe(true)
    expect(transactions[0]).toMatchObject({ type: 2, data, gasLimit: 30_000n })
    expect(sender.sent).toBe(3)
  })

  it('leaves no nonce gap when the node refuses a send', async () => {
    const sender = senderOf(anvil.privateKeys[7]!)
    await expect(sender.send({ to: to(), data, gas: 1_000n })).rejects.toThrow(/intrinsic gas too low|gas/i)
    const hash = await sender.send({ to: to(), data, gas: 30_000n })
    const sent = await f.provider.getTransaction(hash)
    expect(sent!.nonce).toBe((await f.provider.getTransactionCount(sender.address, 'latest')) - 1)
    expect(sender.sent).toBe(1)
  })

  it('pays legacy fees where the node names no base fee, and reads them again after a refusal for them', async () => {
    // A node without EIP-1559 that first names a gas price below what the chain takes.
    const node = await startLyingRpcProxy(anvil.rpcUrl)
    const nodeRpc = createRpcClient({ url: node.url })
    let gasPrice: string | undefined = '0x1'
    node.lie(({ method }, result) => {
      if (method === 'eth_gasPrice') return gasPrice ?? result
      if (method !== 'eth_getBlockByNumber') return result
      const { baseFeePerGas: _, ...legacy } = result as Record<string, unknown>
      return legacy
    })
    try {
      const sender = createTransactionSender({
        rpc: nodeRpc,
        privateKey: anvil.privateKeys[8]!,
        chainId: BigInt(anvil.chainId),
        fees: createFeeOracle({ rpc: nodeRpc, cacheMs: 60_000 }),
      })
      await expect(sender.send({ to: to(), data, gas: 30_000n })).rejects.toThrow(/fee|underpriced/i)
      gasPrice = undefined
      const hash = await sender.send({ to: to(), data, gas: 30_000n })
      expect((await f.provider.waitForTransaction(hash, 1, 10_000))!.status).toBe(1)
      expect((await f.provider.getTransaction(hash))!.type).toBe(0)
    } finally {
      nodeRpc.close()
      await node.close()
    }
  })
})
