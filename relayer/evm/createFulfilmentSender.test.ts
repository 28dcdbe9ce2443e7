import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import {
  deployTeefnContracts,
  deployTestConsumer,
  encodePrice,
  mined,
  sentRequestsOf,
  type TeefnContractsFixture,
  testKey,
} from '../../test/support/teefnContracts.js'
import { createFulfilmentSender, type FulfilmentSender } from './createFulfilmentSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let sender: FulfilmentSender
let destroy: () => void
const forger = new Wallet(testKey('forger'))

beforeAll(async () => {
  anvil = await startAnvil()
  f = await deployTeefnContracts(anvil)
  const rpc = createRpcClient({ url: anvil.rpcUrl })
  destroy = () => rpc.close()
  sender = createFulfilmentSender({
    rpc,
    privateKey: anvil.privateKeys[5]!,
    chainId: BigInt(anvil.chainId),
  })
})

afterAll(async () => {
  destroy?.()
  f?.destroy()
  await anvil?.stop()
})

const oracle = () => String(f.oracle.target)

describe('createFulfilmentSender', () => {
  it('sends one envelope with fulfill', async () => {
    const requestId = await f.requestPrice()
    const [result] = await sender.send(oracle(), [
      { requestId, envelope: await f.sign({ requestId, result: encodePrice(7n) }) },
    ])
    expect(result).toMatchObject({
      status: 'fulfilled',
      value: {
        outcome: 'fulfilled',
        method: 'fulfill',
        batchSize: 1,
        worker: f.worker.address,
        hookSucceeded: true,
      },
    })
    expect((await f.oracle.latest()).price).toBe(7n)
  })

  it('settles every envelope of a batch on its own: accepted, rejected with the reason, answered twice', async () => {
    const [a, b, c] = [await f.requestPrice(), await f.requestPrice(), await f.requestPrice()]
    const nonceBefore = await f.provider.getTransactionCount(sender.address)
    const results = await sender.send(oracle(), [
      { requestId: a, envelope: await f.sign({ requestId: a, result: encodePrice(1n) }) },
      { requestId: b, envelope: await f.sign({ requestId: b, result: encodePrice(2n) }, { signer: forger }) },
      { requestId: c, envelope: await f.sign({ requestId: c, result: encodePrice(3n) }) },
      { requestId: a, envelope: await f.sign({ requestId: a, result: encodePrice(1n) }) },
    ])
    expect(await f.provider.getTransactionCount(sender.address)).toBe(nonceBefore + 1)
    const [first, forged, third, again] = results
    expect(first).toMatchObject({ status: 'fulfilled', value: { method: 'fulfillBatch', batchSize: 4 } })
    expect(third).toMatchObject({ status: 'fulfilled', value: { outcome: 'fulfilled' } })
    expect(again).toMatchObject({ status: 'fulfilled', value: { outcome: 'alreadyFulfilled' } })
    expect(forged?.status).toBe('rejected')
    const error = (forged as PromiseRejectedResult).reason as DeliveryRejectedError
    expect(error).toBeInstanceOf(DeliveryRejectedError)
    expect(error.reason).toBe('WorkerNotActive')
    expect(error.transactionHash).toBe(
      (first as PromiseFulfilledResult<{ transactionHash: string }>).value.transactionHash,
    )
    expect(await f.oracle.isPending(b)).toBe(true)
    expect(await f.oracle.isPending(c)).toBe(false)
  })

  it('refuses a bad envelope at the estimate, without spending a nonce', async () => {
    const requestId = await f.requestPrice()
    const sentBefore = sender.sent
    const [result] = await sender.send(oracle(), [
      { requestId, envelope: await f.sign({ requestId, result: encodePrice(5n) }, { signer: forger }) },
    ])
    expect(result?.status).toBe('rejected')
    const error = (result as PromiseRejectedResult).reason as DeliveryRejectedError
    expect(error.reason).toBe('WorkerNotActive')
    expect(error.transactionHash).toBeUndefined()
    expect(sender.sent).toBe(sentBefore)

    // The next send still gets the account's next nonce (no gap left by the refused one).
    const [ok] = await sender.send(oracle(), [
      { requestId, envelope: await f.sign({ requestId, result: encodePrice(5n) }) },
    ])
    expect(ok).toMatchObject({ status: 'fulfilled', value: { outcome: 'fulfilled' } })
  })

  it('recovers when another sender used its key (nonce too low) and retries with the node count', async () => {
    const first = await f.requestPrice()
    await sender.send(oracle(), [
      { requestId: first, envelope: await f.sign({ requestId: first, result: encodePrice(8n) }) },
    ])
    expect(sender.nonces.next).toBe(await f.provider.getTransactionCount(sender.address))

    // Someone else sends from the same key: the local nonce is now stale.
    const sameKey = new Wallet(anvil.privateKeys[5]!, f.provider)
    const bump = await sameKey.sendTransaction({ to: sameKey.address, value: 0n })
    await f.provider.waitForTransaction(bump.hash, 1, 10_000)

    const second = await f.requestPrice()
    const [result] = await sender.send(oracle(), [
      { requestId: second, envelope: await f.sign({ requestId: second, result: encodePrice(9n) }) },
    ])
    expect(result).toMatchObject({ status: 'fulfilled', value: { outcome: 'fulfilled' } })
    expect((await f.oracle.latest()).price).toBe(9n)
  })

  it('reports an answer that lost the race in the same block as already fulfilled (a reverted send)', async () => {
    const requestId = await f.requestPrice()
    const envelope = await f.sign({ requestId, result: encodePrice(11n) })
    await anvil.rpc('evm_setAutomine', [false])
    try {
      const pending = sender.send(oracle(), [{ requestId, envelope }])
      // Wait until our transaction sits in the pool, then outbid it with another relayer's answer.
      const deadline = Date.now() + 10_000
      const base = await f.provider.getTransactionCount(sender.address, 'latest')
      while ((await f.provider.getTransactionCount(sender.address, 'pending')) === base) {
        if (Date.now() > deadline) throw new Error('the fulfilment never reached the pool')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      await f.oracle.connect(f.relayer).fulfill(envelope, {
        // Not estimated: anvil estimates against the pending block, where ours already answered.
        gasLimit: 500_000n,
        maxPriorityFeePerGas: 50_000_000_000n,
        maxFeePerGas: 100_000_000_000n,
      })
      await anvil.mine(1)
      const [result] = await pending
      expect(result?.status).toBe('rejected')
      expect(((result as PromiseRejectedResult).reason as { code: string }).code).toBe('FULFILMENT_REVERTED')
    } finally {
      await anvil.rpc('evm_setAutomine', [true])
    }
    expect(await f.oracle.isPending(requestId)).toBe(false)
    // The reverted transaction used its nonce: the next one goes through.
    const next = await f.requestPrice()
    const [ok] = await sender.send(oracle(), [
      { requestId: next, envelope: await f.sign({ requestId: next, result: encodePrice(12n) }) },
    ])
    expect(ok).toMatchObject({ status: 'fulfilled' })
  })

  it('gives gas-hungry hooks all their gas, alone and in a batch (no InsufficientGasForHook)', async () => {
    const hookGasLimit = 300_000
    const consumer = await deployTestConsumer(f.admin, {
      registry: await f.registry.getAddress(),
      hookGasLimit,
    })
    const address = await consumer.getAddress()
    const issue = async () => issueOn(consumer, address)
    const envelopeFor = async (requestId: string) => ({
      requestId,
      envelope: await f.sign({ requestId, result: encodePrice(1n) }, { consumer: address }),
    })

    // Burns half of its allowance, then records (fresh storage): uses most of hookGasLimit.
    await mined(consumer.setMode(3, 150_000n, 0n))
    const [single] = await sender.send(address, [await envelopeFor(await issue())])
    expect(single).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'fulfilled', hookSucceeded: true },
    })
    const batch = await sender.send(address, [
      await envelopeFor(await issue()),
      await envelopeFor(await issue()),
      await envelopeFor(await issue()),
    ])
    for (const result of batch) {
      expect(result).toMatchObject({
        status: 'fulfilled',
        value: { method: 'fulfillBatch', hookSucceeded: true },
      })
    }
    expect(await consumer.hookCalls()).toBe(4n)

    // Burns everything it is given: the hook fails, but the fulfilment stands (it is not starved and reverted).
    await mined(consumer.setMode(2, 0n, 0n))
    const [burnt] = await sender.send(address, [await envelopeFor(await issue())])
    expect(burnt).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'fulfilled', hookSucceeded: false },
    })
  })

  it('reserves the whole hook allowance even when the hook uses little of it', async () => {
    // 2M of hook gas, ~0.1M used: a limit from the used gas alone would revert with InsufficientGasForHook.
    const consumer = await deployTestConsumer(f.admin, {
      registry: await f.registry.getAddress(),
      hookGasLimit: 2_000_000,
    })
    const address = await consumer.getAddress()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push(await issueOn(consumer, address))
    const fulfilments = await Promise.all(
      ids.map(async (requestId) => ({
        requestId,
        envelope: await f.sign({ requestId, result: encodePrice(1n) }, { consumer: address }),
      })),
    )
    const [single] = await sender.send(address, fulfilments.slice(0, 1))
    expect(single).toMatchObject({ status: 'fulfilled', value: { hookSucceeded: true } })
    const batch = await sender.send(address, fulfilments.slice(1))
    for (const result of batch)
      expect(result).toMatchObject({ status: 'fulfilled', value: { hookSucceeded: true } })
  })
})

/** Issues a request on a test consumer and returns its id, from the `RequestSent` log. */
async function issueOn(
  consumer: Awaited<ReturnType<typeof deployTestConsumer>>,
  address: string,
): Promise<string> {
  const receipt = await mined(consumer.request(f.functionId, '0x'))
  return sentRequestsOf(receipt, address)[0]!.requestId
}
