import { Wallet } from 'ethers'
import type { AccessList } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { type LyingRpcProxy, startLyingRpcProxy } from '../../test/support/startLyingRpcProxy.js'
import { encodePrice, type TeefnContractsFixture, testKey } from '../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../test/support/useTeefnChain.js'
import { decodeConsumerRevert } from './consumerRejection.js'
import { createGasPlanner, gasForExecution } from './createGasPlanner.js'
import { encodeFulfilmentCalldata } from './encodeFulfilmentCalldata.js'

let f: TeefnContractsFixture
let from: string
let node: LyingRpcProxy
let rpc: RpcClient
useTeefnChain({}, async (chain) => {
  f = chain.f
  from = chain.anvil.accounts[5]!
  node = await startLyingRpcProxy(chain.anvil.rpcUrl)
  rpc = createRpcClient({ url: node.url })
})
afterAll(async () => {
  rpc?.close()
  await node?.close()
})

const oracle = () => String(f.oracle.target)
/** The calldata of `fulfill` for a new request, signed by the admitted worker (or `signer`). */
async function fulfilData(signer?: Wallet) {
  const requestId = await f.requestPrice()
  return encodeFulfilmentCalldata([await f.sign({ requestId, result: encodePrice(1n) }, { signer })])
}

describe('gasForExecution', () => {
  it('adds at least 25 % to what the execution used, and reserves 64/63 of the hook gas and 5000 more', () => {
    expect(gasForExecution({ gasUsed: 100_000n, hookGasLimit: 63_000n, headroomPercent: 10 })).toBe(
      100_000n + 25_000n + 64_000n + 5_000n,
    )
    expect(gasForExecution({ gasUsed: 100_000n, hookGasLimit: 1n, headroomPercent: 50 })).toBe(
      100_000n + 50_000n + 2n + 5_000n,
    )
  })
})

describe('createGasPlanner', () => {
  it('plans one execution plus the hook reservation, with the access list it touched', async () => {
    const data = await fulfilData()
    const plan = await createGasPlanner({ rpc, from }).plan(oracle(), data)
    const execution = await rpc.request<{ accessList: AccessList; gasUsed: string }>('eth_createAccessList', [
      { from, to: oracle(), data },
      'latest',
    ])
    const hookGasLimit = await f.oracle.hookGasLimit()
    expect(plan.gas).toBe(
      gasForExecution({ gasUsed: BigInt(execution.gasUsed), hookGasLimit, headroomPercent: 25 }),
    )
    // The same entries; anvil lists them in any order.
    const sorted = (list: AccessList) => [...list].sort((a, b) => a.address.localeCompare(b.address))
    expect(sorted(plan.accessList!)).toEqual(sorted(execution.accessList))
    expect(plan.accessList!.length).toBeGreaterThan(0)
  })

  it('rejects with the consumer’s revert for an envelope it would refuse: nothing to send', async () => {
    const data = await fulfilData(new Wallet(testKey('forger')))
    const error = await createGasPlanner({ rpc, from })
      .plan(oracle(), data)
      .then(
        () => undefined,
        (reason: unknown) => reason,
      )
    expect(decodeConsumerRevert(error)?.name).toBe('WorkerNotActive')
  })

  it('estimates with eth_estimateGas plus headroom on a node without eth_createAccessList, and stops asking it', async () => {
    node.withhold(['eth_createAccessList'])
    try {
      const planner = createGasPlanner({ rpc, from, headroomPercent: 40 })
      const data = await fulfilData()
      const plan = await planner.plan(oracle(), data)
      const estimate = BigInt(await rpc.request<string>('eth_estimateGas', [{ from, to: oracle(), data }]))
      expect(plan).toEqual({ gas: estimate + (estimate * 40n) / 100n })
      const asked = node.calls().eth_createAccessList
      await planner.plan(oracle(), await fulfilData())
      expect(node.calls().eth_createAccessList).toBe(asked)
    } finally {
      node.withhold([])
    }
  })
})
