import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { type LyingRpcProxy, startLyingRpcProxy } from '../../test/support/startLyingRpcProxy.js'
import { useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createFeeOracle } from './createFeeOracle.js'

let node: LyingRpcProxy
let rpc: RpcClient
useTeefnChain({}, async ({ anvil }) => {
  // The node, seen through a proxy that counts calls and can play a chain without a base fee.
  node = await startLyingRpcProxy(anvil.rpcUrl)
  rpc = createRpcClient({ url: node.url })
})
afterAll(async () => {
  rpc?.close()
  await node?.close()
})
beforeEach(() => {
  node.lie(undefined)
  node.withhold([])
})

const calls = (method: string) => node.calls()[method] ?? 0

describe('createFeeOracle', () => {
  it('pays twice the base fee plus the node’s tip on a chain with a base fee', async () => {
    const fees = await createFeeOracle({ rpc }).fees()
    const block = await rpc.request<{ baseFeePerGas: string }>('eth_getBlockByNumber', ['latest', false])
    const tip = BigInt(await rpc.request<string>('eth_maxPriorityFeePerGas'))
    expect(fees).toEqual({
      type: 'eip1559',
      maxFeePerGas: BigInt(block.baseFeePerGas) * 2n + tip,
      maxPriorityFeePerGas: tip,
    })
  })

  it('reuses its fees for cacheMs, and reads them again after a send refused for them', async () => {
    const oracle = createFeeOracle({ rpc, cacheMs: 60_000 })
    const before = calls('eth_getBlockByNumber')
    const first = await oracle.fees()
    expect(await oracle.fees()).toBe(first)
    oracle.refused(new Error('nonce too low')) // not about fees: kept
    await oracle.fees()
    expect(calls('eth_getBlockByNumber')).toBe(before + 1)
    oracle.refused(new Error('replacement transaction underpriced'))
    await oracle.fees()
    expect(calls('eth_getBlockByNumber')).toBe(before + 2)
  })

  it('pays the node’s gas price on a chain without a base fee, and 1 gwei of tip where the node names none', async () => {
    node.lie(({ method }, result) => {
      if (method !== 'eth_getBlockByNumber') return result
      const { baseFeePerGas: _, ...legacy } = result as Record<string, unknown>
      return legacy
    })
    const gasPrice = BigInt(await rpc.request<string>('eth_gasPrice'))
    expect(await createFeeOracle({ rpc }).fees()).toEqual({ type: 'legacy', gasPrice })

    node.lie(undefined)
    node.withhold(['eth_maxPriorityFeePerGas'])
    expect(await createFeeOracle({ rpc }).fees()).toMatchObject({ maxPriorityFeePerGas: 1_000_000_000n })
  })
})
