import { id, ZeroHash } from 'ethers'
import { describe, expect, it } from 'vitest'
import { rejectReasonName } from '../runtime/chain/evm/consumerCodes.js'
import { type QuorumSetup, setUpQuorum } from '../test/support/quorumSetup.js'
import { eventsNamed, mined, revertOf, type TeefnContractsFixture } from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { AGGREGATIONS } from './quorumFulfillment.js'

let f: TeefnContractsFixture
let q: QuorumSetup
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ f } = chain)
  q = await setUpQuorum(f)
})

const asOwner = () => f.registry.connect(f.functionOwner)

describe('result policy in the registry', () => {
  it('starts at one worker, identical; only the owner changes it, with an event', async () => {
    expect([...(await f.registry.policyOf(f.functionId))]).toEqual([1n, 0n])
    expect([...(await f.registry.fulfillmentPolicyOf(f.functionId))]).toEqual([f.codeHash, 1n, 0n])
    expect([...(await f.registry.policyOf(id('unknown')))]).toEqual([0n, 0n])
    expect(await revertOf(f.registry.connect(f.stranger).setResultPolicy(f.functionId, 2, 0))).toEqual({
      name: 'NotFunctionOwner',
      args: [f.functionId, f.stranger.address],
    })
    const median = AGGREGATIONS.indexOf('MedianInt256')
    const receipt = await mined(asOwner().setResultPolicy(f.functionId, 3, median))
    expect(eventsNamed(receipt, f.registry, 'ResultPolicyChanged')[0]?.args.toObject()).toEqual({
      functionId: f.functionId,
      threshold: 3n,
      aggregation: BigInt(median),
    })
    expect([...(await f.registry.fulfillmentPolicyOf(f.functionId))]).toEqual([f.codeHash, 3n, 2n])
  })

  it('refuses a threshold of 0 or above MAX_THRESHOLD, and an unknown function', async () => {
    expect(await f.registry.MAX_THRESHOLD()).toBe(32n)
    for (const threshold of [0, 33]) {
      expect(await revertOf(asOwner().setResultPolicy(f.functionId, threshold, 0))).toEqual({
        name: 'InvalidThreshold',
        args: [BigInt(threshold)],
      })
    }
    expect((await revertOf(asOwner().setResultPolicy(ZeroHash, 1, 0))).name).toBe('FunctionNotRegistered')
  })

  it('is locked with the function', async () => {
    await mined(asOwner().setResultPolicy(f.functionId, 2, 1))
    await mined(asOwner().lockFunction(f.functionId))
    expect(await revertOf(asOwner().setResultPolicy(f.functionId, 1, 0))).toEqual({
      name: 'FunctionIsLocked',
      args: [f.functionId],
    })
    expect([...(await f.registry.policyOf(f.functionId))]).toEqual([2n, 1n])
  })
})

describe('single envelopes and quorums', () => {
  it('k = 1: fulfill works as before, and so does a one-answer quorum', async () => {
    const request = await q.request()
    await mined(
      q.consumer.connect(f.relayer).fulfill(await q.answer(request, q.workers[0]!, { result: '0x01' })),
    )
    expect(await q.consumer.isPending(request.requestId)).toBe(false)
    const next = await q.request()
    const quorum = q.quorum([await q.answer(next, q.workers[2]!, { result: '0x02' })])
    const receipt = await mined(q.consumer.connect(f.relayer).fulfillQuorum(quorum))
    expect(eventsNamed(receipt, q.consumer, 'QuorumReached')[0]?.args.signers).toEqual([
      q.workers[2]!.address,
    ])
    expect(await q.consumer.lastResult()).toBe('0x02')
  })

  it('k > 1: fulfill(Envelope) is refused with QuorumRequired, and a batch skips it', async () => {
    await q.setPolicy(2)
    const request = await q.request()
    const envelope = await q.answer(request, q.workers[0]!, { result: '0x01' })
    expect(await revertOf(q.consumer.connect(f.relayer).fulfill(envelope))).toEqual({
      name: 'QuorumRequired',
      args: [request.requestId, 2n],
    })
    const receipt = await mined(q.consumer.connect(f.relayer).fulfillBatch([envelope]))
    const [rejected] = eventsNamed(receipt, q.consumer, 'FulfillmentRejected')
    expect(rejectReasonName(rejected!.args.reason)).toBe('QuorumRequired')
    expect(await q.consumer.isPending(request.requestId)).toBe(true)
  })

  it("a consumer's minimum raises the function's threshold: max(policy, minQuorum)", async () => {
    expect(await q.consumer.minQuorum()).toBe(1n)
    await mined(q.consumer.setMinQuorum(2))
    expect(await q.consumer.effectiveThreshold(f.functionId)).toBe(2n)
    const request = await q.request()
    const [a, b] = await Promise.all([0, 1].map((i) => q.answer(request, q.workers[i]!, { result: '0x07' })))
    expect(await revertOf(q.consumer.connect(f.relayer).fulfill(a!))).toEqual({
      name: 'QuorumRequired',
      args: [request.requestId, 2n],
    })
    expect((await revertOf(q.consumer.connect(f.relayer).fulfillQuorum(q.quorum([a!])))).name).toBe(
      'QuorumNotReached',
    )
    // The policy's 3 wins over the consumer's 2.
    await q.setPolicy(3)
    expect(await q.consumer.effectiveThreshold(f.functionId)).toBe(3n)
    expect((await revertOf(q.consumer.connect(f.relayer).fulfillQuorum(q.quorum([a!, b!])))).name).toBe(
      'QuorumNotReached',
    )
    await q.setPolicy(1)
    await mined(q.consumer.connect(f.relayer).fulfillQuorum(q.quorum([a!, b!])))
    expect(await q.consumer.lastResult()).toBe('0x07')
  })
})
