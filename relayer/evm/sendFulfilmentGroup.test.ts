import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { encodePrice, mined, type TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createFulfilmentSender, type FulfilmentSender } from './createFulfilmentSender.js'
import { type PendingFulfilment, sendFulfilmentGroup } from './sendFulfilmentGroup.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
let sender: FulfilmentSender
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
  sender = createFulfilmentSender({ rpc, privateKey: anvil.privateKeys[5]!, chainId: BigInt(anvil.chainId) })
})
afterAll(() => rpc?.close())

/** A delivery for `requestId`, signed by the admitted worker; `rerun` when it ran before. */
const delivery = async (requestId: string, rerun: boolean): Promise<PendingFulfilment> => ({
  fulfilment: { requestId, envelope: await f.sign({ requestId, result: encodePrice(3n) }) },
  rerun,
})
/** A request answered already by another relayer. */
async function answered(): Promise<string> {
  const requestId = await f.requestPrice()
  await mined(f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId, result: encodePrice(1n) })))
  return requestId
}
const send = (deliveries: PendingFulfilment[]) =>
  sendFulfilmentGroup({ rpc, sender, destination: String(f.oracle.target), deliveries })

describe('sendFulfilmentGroup', () => {
  it('re-checks only the deliveries that ran before, and sends the rest in one transaction', async () => {
    const group = [
      await delivery(await answered(), true),
      await delivery(await f.requestPrice(), false),
      await delivery(await f.requestPrice(), true),
      await delivery(await f.requestPrice(), false),
    ]
    const { results, sent } = await send(group)
    expect(sent).toBe(3)
    expect(results[0]).toEqual({ status: 'fulfilled', value: { outcome: 'alreadyFulfilled' } })
    const fulfilled = results
      .slice(1)
      .map((result) => (result as PromiseFulfilledResult<{ transactionHash: string }>).value)
    expect(fulfilled).toMatchObject([
      { outcome: 'fulfilled', method: 'fulfillBatch', batchSize: 3 },
      { outcome: 'fulfilled', batchSize: 3 },
      { outcome: 'fulfilled', batchSize: 3 },
    ])
    expect(new Set(fulfilled.map((value) => value.transactionHash)).size).toBe(1)
  })

  it('sends no transaction when every delivery that ran before was answered already', async () => {
    const before = await f.provider.getTransactionCount(sender.address)
    const { results, sent } = await send([
      await delivery(await answered(), true),
      await delivery(await answered(), true),
    ])
    expect(sent).toBe(0)
    expect(results.map((result) => result.status === 'fulfilled' && result.value.outcome)).toEqual([
      'alreadyFulfilled',
      'alreadyFulfilled',
    ])
    expect(await f.provider.getTransactionCount(sender.address)).toBe(before)
  })
})
