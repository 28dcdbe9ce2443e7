import { AbiCoder, hexlify, Wallet, ZeroAddress } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type AnvilInstance, waitForReceipt } from '../dev/startAnvil.js'
import { rejectReasonName, requestStateName } from '../runtime/chain/evm/consumerCodes.js'
import { type QuorumSetup, setUpQuorum } from '../test/support/quorumSetup.js'
import {
  eventsNamed,
  mined,
  revertOf,
  type TeefnContractsFixture,
  testKey,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import type { QuorumEnvelopeStruct } from './contractTypes.js'
import { type Aggregation, encodeQuorumFulfilment } from './quorumFulfillment.js'
import { tallyQuorum } from './tallyQuorum.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let q: QuorumSetup
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ anvil, f } = chain)
  q = await setUpQuorum(f)
})

const uint = (value: bigint) => AbiCoder.defaultAbiCoder().encode(['uint256'], [value])
const int = (value: bigint) => AbiCoder.defaultAbiCoder().encode(['int256'], [value])
const text = (message: string) => hexlify(Buffer.from(message))

function submit(envelope: QuorumEnvelopeStruct) {
  return q.consumer.connect(f.relayer).fulfillQuorum(envelope)
}

/** Requests once, has `workers[i]` answer `results[i]` (OK unless a status is given) and builds the quorum. */
async function quorumOf(results: (string | { status: number; result: string })[], workers = q.workers) {
  const request = await q.request()
  const envelopes = await Promise.all(
    results.map((r, i) => q.answer(request, workers[i]!, typeof r === 'string' ? { result: r } : r)),
  )
  return { request, envelope: q.quorum(envelopes) }
}

/** Submits, checks the outcome matches `tallyQuorum`, and returns what the consumer recorded and emitted. */
async function deliver(envelope: QuorumEnvelopeStruct, aggregation: Aggregation, threshold: number) {
  const receipt = await mined(submit(envelope))
  const answers = envelope.answers.map((a) => ({ status: Number(a.status), result: hexlify(a.result) }))
  const tally = tallyQuorum({ aggregation, threshold, answers })
  if (!tally.reached) throw new Error('tallyQuorum disagrees with the consumer: it found no quorum')
  const signers = eventsNamed(receipt, q.consumer, 'QuorumReached')[0]!.args.signers as string[]
  const dissent = eventsNamed(receipt, q.consumer, 'QuorumDissent')[0]?.args.dissenters as
    | string[]
    | undefined
  const fulfilled = eventsNamed(receipt, q.consumer, 'RequestFulfilled')[0]!.args
  expect(fulfilled.worker).toBe(ZeroAddress)
  expect(await q.consumer.lastResult()).toBe(answers[tally.delivered]!.result)
  return { signers, dissenters: dissent ?? [], status: Number(await q.consumer.lastStatus()), tally, receipt }
}

const addressesOf = (indexes: number[]) => indexes.map((i) => q.workers[i]!.address)

describe('identical', () => {
  it('delivers a 2-of-3 quorum once, names every signer, and leaves nothing pending', async () => {
    await q.setPolicy(2)
    const { request, envelope } = await quorumOf([uint(7n), uint(7n), uint(7n)])
    const outcome = await deliver(envelope, 'Identical', 2)
    expect(outcome.signers).toEqual(addressesOf([0, 1, 2]))
    expect(outcome.dissenters).toEqual([])
    expect(await q.consumer.hookCalls()).toBe(1n)
    expect(requestStateName((await q.consumer.requestInfo(request.requestId)).state)).toBe('Fulfilled')
    expect(await revertOf(submit(envelope))).toEqual({ name: 'AlreadyFulfilled', args: [request.requestId] })
  })

  it('outvotes a dissenter and names it', async () => {
    await q.setPolicy(2)
    const { envelope } = await quorumOf([uint(7n), uint(666n), uint(7n)])
    const outcome = await deliver(envelope, 'Identical', 2)
    expect(await q.consumer.lastResult()).toBe(uint(7n))
    expect(outcome.signers).toEqual(addressesOf([0, 2]))
    expect(outcome.dissenters).toEqual(addressesOf([1]))
  })

  it('delivers a failure k workers agree on (same status and message)', async () => {
    await q.setPolicy(2)
    const failure = { status: 3, result: text('fetch timed out') }
    const { envelope } = await quorumOf([failure, uint(1n), failure])
    const outcome = await deliver(envelope, 'Identical', 2)
    expect(outcome.status).toBe(3)
    expect(outcome.dissenters).toEqual(addressesOf([1]))
  })
})

describe('median', () => {
  it('delivers the median of 3 uint256 answers', async () => {
    await q.setPolicy(3, 'MedianUint256')
    const { envelope } = await quorumOf([uint(300n), uint(100n), uint(200n)])
    const outcome = await deliver(envelope, 'MedianUint256', 3)
    expect(await q.consumer.lastResult()).toBe(uint(200n))
    expect(outcome.signers).toHaveLength(3)
    expect(outcome.dissenters).toEqual([])
  })

  it('delivers the median of 3 int256 answers, negatives included', async () => {
    await q.setPolicy(2, 'MedianInt256')
    const { envelope } = await quorumOf([int(5n), int(-7n), int(-1n)])
    await deliver(envelope, 'MedianInt256', 2)
    expect(await q.consumer.lastResult()).toBe(int(-1n))
  })

  it('delivers the lower median of an even count', async () => {
    await q.setPolicy(2, 'MedianInt256')
    const { envelope } = await quorumOf([int(9n), int(-2n), int(-10n), int(7n)])
    await deliver(envelope, 'MedianInt256', 2)
    expect(await q.consumer.lastResult()).toBe(int(-2n))
  })

  it('counts only OK one-word answers as values: a failure and a malformed answer dissent', async () => {
    await q.setPolicy(2, 'MedianUint256')
    const { envelope } = await quorumOf([uint(10n), { status: 3, result: text('boom') }, '0x1234', uint(20n)])
    const outcome = await deliver(envelope, 'MedianUint256', 2)
    expect(await q.consumer.lastResult()).toBe(uint(10n))
    expect(outcome.signers).toEqual(addressesOf([0, 3]))
    expect(outcome.dissenters).toEqual(addressesOf([1, 2]))
  })
})

describe('refused', () => {
  it('fewer than k agreeing: nothing delivered, the request stays pending, then times out', async () => {
    await q.setPolicy(3)
    const { request, envelope } = await quorumOf([uint(1n), uint(2n), uint(1n)])
    expect(await revertOf(submit(envelope))).toEqual({
      name: 'QuorumNotReached',
      args: [request.requestId, 3n],
    })
    const short = q.quorum(
      await Promise.all([0, 1].map((i) => q.answer(request, q.workers[i]!, { result: '0x' }))),
    )
    expect(await revertOf(submit(short))).toEqual({ name: 'QuorumNotReached', args: [request.requestId, 3n] })
    expect(await q.consumer.isPending(request.requestId)).toBe(true)
    expect(await q.consumer.hookCalls()).toBe(0n)
    await anvil.increaseTime(Number(await q.consumer.requestTimeout()) + 1)
    expect(await q.consumer.isPending(request.requestId)).toBe(false)
    expect((await revertOf(submit(envelope))).name).toBe('RequestExpired')
  })

  it('two groups tied for the most: nothing delivered, even when both reach k', async () => {
    await q.setPolicy(2)
    const { request, envelope } = await quorumOf([uint(1n), uint(2n), uint(1n), uint(2n)])
    expect(await revertOf(submit(envelope))).toEqual({
      name: 'QuorumNotReached',
      args: [request.requestId, 2n],
    })
  })

  it('a forged signer (a key the registry never admitted), or an answer changed after signing', async () => {
    await q.setPolicy(2)
    const request = await q.request()
    const stranger = new Wallet(testKey('not a worker'))
    const envelopes = [await q.answer(request, q.workers[0]!, { result: '0x01' })]
    envelopes.push(await q.answer(request, stranger, { result: '0x01' }))
    expect(await revertOf(submit(q.quorum(envelopes)))).toEqual({
      name: 'WorkerNotActive',
      args: [stranger.address],
    })
    const honest = q.quorum([envelopes[0]!, await q.answer(request, q.workers[1]!, { result: '0x01' })])
    const tampered = structuredClone(honest)
    tampered.answers[1]!.result = '0x02'
    expect((await revertOf(submit(tampered))).name).toBe('WorkerNotActive')
    tampered.answers[1]!.signature = '0x1234'
    expect(await revertOf(submit(tampered))).toEqual({ name: 'InvalidSignature', args: [request.requestId] })
  })

  it('a duplicate signer, or signers out of order', async () => {
    await q.setPolicy(2)
    const request = await q.request()
    const [low, high] = await Promise.all(
      [0, 1].map((i) => q.answer(request, q.workers[i]!, { result: '0x' })),
    )
    const twice = q.quorum([low!])
    twice.answers.push(twice.answers[0]!)
    expect(await revertOf(submit(twice))).toEqual({ name: 'DuplicateSigner', args: [q.workers[0]!.address] })
    const ordered = q.quorum([low!, high!])
    const reversed = { ...ordered, answers: [...ordered.answers].reverse() }
    expect(await revertOf(submit(reversed))).toEqual({
      name: 'SignersNotAscending',
      args: [q.workers[0]!.address],
    })
    await mined(submit(ordered))
  })

  it("a removed or expired worker's signature", async () => {
    await q.setPolicy(2)
    const { envelope } = await quorumOf([uint(1n), uint(1n)])
    await mined(f.registry.connect(f.admin).removeWorker(q.workers[1]!.address))
    expect(await revertOf(submit(envelope))).toEqual({
      name: 'WorkerNotActive',
      args: [q.workers[1]!.address],
    })
    const now = BigInt((await f.provider.getBlock('latest'))!.timestamp)
    await mined(
      f.registry.connect(f.admin).admitWorker(q.workers[2]!.address, testKey('short quote'), now + 60n),
    )
    const late = await quorumOf([uint(1n), uint(1n), uint(1n)])
    await anvil.increaseTime(61)
    expect(await revertOf(submit(late.envelope))).toEqual({
      name: 'WorkerNotActive',
      args: [q.workers[1]!.address],
    })
    // Without the removed worker, the expired one is refused next.
    const [first, , third] = late.envelope.answers
    expect(await revertOf(submit({ ...late.envelope, answers: [first!, third!] }))).toEqual({
      name: 'WorkerNotActive',
      args: [q.workers[2]!.address],
    })
  })

  it('no answer, or more than MAX_QUORUM_ANSWERS', async () => {
    const { request, envelope } = await quorumOf([uint(1n)])
    expect(await revertOf(submit({ ...envelope, answers: [] }))).toEqual({
      name: 'InvalidAnswerCount',
      args: [request.requestId, 0n],
    })
    const many = { ...envelope, answers: Array(33).fill(envelope.answers[0]) }
    expect((await revertOf(submit(many))).name).toBe('InvalidAnswerCount')
  })
})

describe('batch and calldata', () => {
  it('fulfillQuorumBatch accepts the good quorums and skips the others with their reason', async () => {
    await q.setPolicy(2)
    const good = await quorumOf([uint(1n), uint(1n)])
    const split = await quorumOf([uint(1n), uint(2n)])
    const receipt = await mined(
      q.consumer.connect(f.relayer).fulfillQuorumBatch([good.envelope, split.envelope]),
    )
    const rejected = eventsNamed(receipt, q.consumer, 'FulfillmentRejected').map((e) => [
      e.args.requestId,
      rejectReasonName(e.args.reason),
    ])
    expect(rejected).toEqual([[split.request.requestId, 'QuorumNotReached']])
    expect(eventsNamed(receipt, q.consumer, 'BatchFulfilled')[0]!.args.toObject()).toEqual({
      accepted: 1n,
      total: 2n,
    })
    expect(await q.consumer.isPending(good.request.requestId)).toBe(false)
    expect(await q.consumer.isPending(split.request.requestId)).toBe(true)
  })

  it('encodeQuorumFulfilment builds calldata the consumer accepts', async () => {
    await q.setPolicy(2)
    const { request, envelope } = await quorumOf([uint(5n), uint(5n), uint(5n)])
    const tx = await f.relayer.sendTransaction({
      to: q.consumerAddress,
      data: encodeQuorumFulfilment([envelope]),
    })
    expect((await waitForReceipt(f.provider, tx.hash)).status).toBe(1)
    expect(await q.consumer.isPending(request.requestId)).toBe(false)
    expect(await q.consumer.lastResult()).toBe(uint(5n))
  })
})
