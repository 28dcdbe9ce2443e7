import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import {
  deployPhatAttestor,
  deployTestPhatConsumer,
  type TeefnPhatAttestorContract,
  type TestPhatConsumerContract,
} from '../../test/support/phatContracts.js'
import { mined, type TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { readPhatWork } from './readPhatWork.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
let anchor: TestPhatConsumerContract
let attestor: TeefnPhatAttestorContract
let address: string
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
  anchor = await deployTestPhatConsumer(f.oracleOwner, f.stranger.address)
  attestor = await deployPhatAttestor(f.admin, {
    registry: String(f.registry.target),
    anchor: String(anchor.target),
    functionId: f.functionId,
  })
  address = String(attestor.target)
})
afterAll(() => rpc?.close())

describe('readPhatWork', () => {
  it('finds nothing to do until the anchor makes the attestor its attestor', async () => {
    await mined(anchor.connect(f.relayer).request('eth'))
    expect(await readPhatWork({ rpc, attestor: address, confirmations: 0, maxCount: 8 })).toEqual({
      toRelay: [],
      flushable: false,
    })
  })

  it('lists queued messages not relayed yet, in queue order, up to maxCount', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(address))
    for (const query of ['a', 'b', 'c']) await mined(anchor.connect(f.relayer).request(query))
    expect(await readPhatWork({ rpc, attestor: address, confirmations: 0, maxCount: 8 })).toEqual({
      toRelay: [0, 1, 2],
      flushable: false,
    })
    expect((await readPhatWork({ rpc, attestor: address, confirmations: 0, maxCount: 2 })).toRelay).toEqual([
      0, 1,
    ])
    await mined(attestor.connect(f.relayer).relay(1))
    expect((await readPhatWork({ rpc, attestor: address, confirmations: 0, maxCount: 8 })).toRelay).toEqual([
      0, 2,
    ])
  })

  it('waits until a message is `confirmations` blocks deep, and skips a relay mined since', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(address))
    await mined(anchor.connect(f.relayer).request('a'))
    const read = () => readPhatWork({ rpc, attestor: address, confirmations: 2, maxCount: 8 })
    expect((await read()).toRelay).toEqual([])
    await anvil.mine(1)
    expect((await read()).toRelay).toEqual([])
    await anvil.mine(1)
    expect((await read()).toRelay).toEqual([0])
    await mined(attestor.connect(f.relayer).relay(0))
    expect((await read()).toRelay).toEqual([])
  })
})
