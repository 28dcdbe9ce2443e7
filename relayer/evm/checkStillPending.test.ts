import { afterAll, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { encodePrice, mined, type TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { checkStillPending } from './checkStillPending.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
useTeefnChain({ requestTimeout: 60 }, (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
})
afterAll(() => rpc?.close())

const check = (requestIds: string[], destination = String(f.oracle.target)) =>
  checkStillPending({ rpc, destination, requestIds })

describe('checkStillPending', () => {
  it('leaves a pending request to send, and settles what needs no transaction, in one batch', async () => {
    const [pending, answered] = [await f.requestPrice(), await f.requestPrice()]
    await mined(
      f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId: answered, result: encodePrice(1n) })),
    )
    const unknown = `0x${'ab'.repeat(32)}`
    const [first, second, third] = await check([pending, answered, unknown])
    expect(first).toBeUndefined()
    expect(second).toEqual({ status: 'fulfilled', value: { outcome: 'alreadyFulfilled' } })
    expect(third?.status).toBe('rejected')
    const refused = (third as PromiseRejectedResult).reason
    expect(refused).toBeInstanceOf(DeliveryRejectedError)
    expect(refused).toMatchObject({ reason: 'UnknownRequest', requestId: unknown })
  })

  it('fails a delivery for a retry when the destination gives no requestInfo, and throws when the node is down', async () => {
    const [result] = await check([await f.requestPrice()], anvil.accounts[9]!)
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'REQUEST_STATE_UNREADABLE' })

    const down = createRpcClient({ url: 'http://127.0.0.1:9' })
    await expect(
      checkStillPending({
        rpc: down,
        destination: String(f.oracle.target),
        requestIds: [`0x${'01'.repeat(32)}`],
      }),
    ).rejects.toMatchObject({ code: 'RPC_UNREACHABLE' })
    down.close()
  })

  it('refuses for good a request its requester cancelled after the deadline', async () => {
    const requestId = await f.requestPrice()
    await anvil.increaseTime(61)
    await mined(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))
    const [result] = await check([requestId])
    expect((result as PromiseRejectedResult).reason).toMatchObject({ reason: 'RequestCancelled' })
  })
})
