import { AbiCoder, concat, id, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../dev/startAnvil.js'
import {
  deployPhatAttestor,
  deployTestPhatConsumer,
  encodePhatMessage,
  encodePhatReply,
  phatQueueKey,
  type TeefnPhatAttestorContract,
  type TestPhatConsumerContract,
} from '../test/support/phatContracts.js'
import {
  eventsNamed,
  mined,
  revertOf,
  sentRequestsOf,
  type TeefnContractsFixture,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'

const abi = AbiCoder.defaultAbiCoder()
const headKey = `0x${Buffer.from('q/_head').toString('hex')}`

let anvil: AnvilInstance
let f: TeefnContractsFixture
let anchor: TestPhatConsumerContract
let attestor: TeefnPhatAttestorContract
let attestorAddress: string
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ anvil, f } = chain)
  // Deployed as Phala's samples are: the first attestor is an account of the old off-chain attestor.
  anchor = await deployTestPhatConsumer(f.oracleOwner, f.stranger.address)
  attestor = await deployPhatAttestor(f.admin, {
    registry: String(f.registry.target),
    anchor: String(anchor.target),
    functionId: f.functionId,
    requestTimeout: 600,
  })
  attestorAddress = String(attestor.target)
})

/** Queues `query` on the anchor (as any user) and returns its queue index. */
async function push(query: string): Promise<number> {
  const receipt = await mined(anchor.connect(f.relayer).request(query))
  return Number(eventsNamed(receipt, anchor, 'MessageQueued')[0]!.args.idx)
}

/** Relays `index` (as the node's relayer account) and returns its request. */
async function relay(index: number) {
  const receipt = await mined(attestor.connect(f.relayer).relay(index))
  return sentRequestsOf(receipt, attestorAddress)[0]!
}

/** A worker-signed answer to `requestId` on the attestor, fulfilled by the relayer account. */
async function answer(requestId: string, result: string, status = 0) {
  const envelope = await f.sign({ requestId, result, status }, { consumer: attestorAddress })
  return mined(attestor.connect(f.relayer).fulfill(envelope))
}

async function answeredIds(): Promise<bigint[]> {
  const count = Number(await anchor.answeredCount())
  return Promise.all(Array.from({ length: count }, (_, index) => anchor.answeredIds(index)))
}

describe('TeefnPhatAttestor', () => {
  it('takes over a deployed anchor with setAttestor and replies in the anchor format, from the message on chain', async () => {
    // The old attestor answers the first message itself, in the anchor's format.
    const first = await push('eth')
    await mined(
      anchor
        .connect(f.stranger)
        .rollupU256CondEq(
          [headKey],
          [abi.encode(['uint32'], [first])],
          [],
          [],
          [
            concat(['0x00', encodePhatReply(1n, 'ETH')]),
            concat(['0x01', abi.encode(['uint32'], [first + 1])]),
          ],
        ),
    )
    const second = await push('btc')
    expect((await revertOf(attestor.relay(second))).name).toBe('NotAttestor')

    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    expect(await attestor.isAttestor()).toBe(true)
    expect((await revertOf(attestor.relay(first))).name).toBe('NotQueued')
    const request = await relay(second)
    expect(request.payload).toBe(encodePhatMessage(2n, 'btc'))
    expect(await anchor.getStorage(phatQueueKey(second))).toBe(request.payload)
    expect(await attestor.requestIdOf(second)).toBe(request.requestId)
    expect(await revertOf(attestor.relay(second))).toEqual({
      name: 'AlreadyRelayed',
      args: [BigInt(second), request.requestId],
    })

    const receipt = await answer(request.requestId, encodePhatReply(2n, 'BTC'))
    expect(eventsNamed(receipt, attestor, 'ReplySubmitted').map((event) => Number(event.args.index))).toEqual(
      [second],
    )
    expect(eventsNamed(receipt, anchor, 'MessageProcessedTo').map((event) => Number(event.args[0]))).toEqual([
      second + 1,
    ])
    expect(await answeredIds()).toEqual([1n, 2n])
    expect(await anchor.answers(2n)).toBe('BTC')
    expect(await anchor.queueGetUint(Buffer.from('_head'))).toBe(2n)
    expect(await anchor.getStorage(phatQueueKey(second))).toBe('0x')
    // The gas a node pays per message: relay and the fulfilment through the attestor (anvil, one 32-byte id +
    // 3-letter reply). The measured numbers are in the Phat section of contracts/README.md.
    expect(request.receipt.gasUsed).toBeLessThan(200_000n)
    expect(receipt.gasUsed).toBeLessThan(170_000n)
  })

  it('refuses a direct rollup from a non-attestor and an answer not signed by an active worker', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    const index = await push('eth')
    const request = await relay(index)
    const rollup = anchor
      .connect(f.relayer)
      .rollupU256CondEq(
        [headKey],
        [abi.encode(['uint32'], [index])],
        [],
        [],
        [concat(['0x00', encodePhatReply(1n, 'FORGED')])],
      )
    expect((await revertOf(rollup)).name).toBe('BadAttestor')

    const forger = Wallet.createRandom()
    const forged = await f.sign(
      { requestId: request.requestId, result: encodePhatReply(1n, 'FORGED') },
      { consumer: attestorAddress, signer: forger },
    )
    expect(await revertOf(attestor.connect(f.relayer).fulfill(forged))).toEqual({
      name: 'WorkerNotActive',
      args: [forger.address],
    })
    expect(await answeredIds()).toEqual([])
    expect(await anchor.queueGetUint(Buffer.from('_head'))).toBe(0n)
  })

  it('holds answers that arrive out of order and submits them in queue order', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    const indexes = [await push('a'), await push('b'), await push('c')]
    const requests = []
    for (const index of indexes) requests.push(await relay(index))

    const third = await answer(requests[2]!.requestId, encodePhatReply(3n, 'C'))
    expect(eventsNamed(third, attestor, 'ReplyHeld').map((event) => Number(event.args.index))).toEqual([2])
    const second = await answer(requests[1]!.requestId, encodePhatReply(2n, 'B'))
    expect(eventsNamed(second, attestor, 'ReplyHeld').map((event) => Number(event.args.index))).toEqual([1])
    expect(await answeredIds()).toEqual([])
    expect((await attestor.heldAnswer(2))[0]).toBe(true)

    const first = await answer(requests[0]!.requestId, encodePhatReply(1n, 'A'))
    expect(eventsNamed(first, attestor, 'ReplySubmitted').map((event) => Number(event.args.index))).toEqual([
      0, 1, 2,
    ])
    expect(await answeredIds()).toEqual([1n, 2n, 3n])
    expect((await attestor.heldAnswer(2))[0]).toBe(false)
    expect(await attestor.queueBounds()).toEqual([3n, 3n])
  })

  it('skips a failed run and pops a reply the consumer refuses, so later messages are still answered', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    const indexes = [await push('fails'), await push('refused'), await push('fine')]
    const requests = []
    for (const index of indexes) requests.push(await relay(index))
    await mined(anchor.connect(f.oracleOwner).refuse(2n))

    const failed = await answer(requests[0]!.requestId, '0x6f6f7073', 2)
    expect(
      eventsNamed(failed, attestor, 'MessageSkipped').map((event) => [event.args.index, event.args.status]),
    ).toEqual([[0n, 2n]])
    const refused = await answer(requests[1]!.requestId, encodePhatReply(2n, 'NO'))
    const [refusal] = eventsNamed(refused, attestor, 'ReplyRefused')
    expect(refusal!.args.index).toBe(1n)
    expect(anchor.interface.parseError(refusal!.args.reason)?.name).toBe('RefusedOnPurpose')
    await answer(requests[2]!.requestId, encodePhatReply(3n, 'FINE'))
    expect(await answeredIds()).toEqual([3n])
    expect(await attestor.queueBounds()).toEqual([3n, 3n])
  })

  it('holds answers while its role is revoked and flushes them once it is granted again', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    const index = await push('eth')
    const request = await relay(index)
    await mined(anchor.connect(f.oracleOwner).revokeAttestor(attestorAddress))
    const held = await answer(request.requestId, encodePhatReply(1n, 'ETH'))
    expect(eventsNamed(held, attestor, 'ReplyHeld')).toHaveLength(1)
    expect(await attestor.pendingWork(10)).toEqual([[], false])

    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    expect(await attestor.pendingWork(10)).toEqual([[], true])
    const flushed = await mined(attestor.connect(f.stranger).flush(10))
    expect(eventsNamed(flushed, attestor, 'ReplySubmitted')).toHaveLength(1)
    expect(await answeredIds()).toEqual([1n])
    expect(await attestor.pendingWork(10)).toEqual([[], false])
  })

  it('relays a message again once its request expired unanswered, and never while it is pending', async () => {
    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    const indexes = [await push('a'), await push('b')]
    expect((await attestor.pendingWork(10))[0]).toEqual([0n, 1n])
    const first = await relay(indexes[0]!)
    expect(await attestor.relayable(indexes[0]!)).toBe(false)
    expect((await attestor.pendingWork(10))[0]).toEqual([1n])
    await anvil.increaseTime(601)
    expect(await attestor.relayable(indexes[0]!)).toBe(true)
    const again = await relay(indexes[0]!)
    expect(again.requestId).not.toBe(first.requestId)
    expect((await revertOf(answer(first.requestId, encodePhatReply(1n, 'LATE')))).name).toBe('RequestExpired')
    await answer(again.requestId, encodePhatReply(1n, 'A'))
    expect(await answeredIds()).toEqual([1n])
  })

  it('refuses a hook gas limit that cannot cover one submission', async () => {
    const deploying = deployPhatAttestor(f.admin, {
      registry: String(f.registry.target),
      anchor: String(anchor.target),
      functionId: id('any'),
      hookGasLimit: 300_000,
    })
    await expect(deploying).rejects.toThrow()
  })
})
