import { fileURLToPath } from 'node:url'
import { AbiCoder, concat, Interface, id, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { loadArtifact } from '../contracts/artifacts.js'
import { signFulfillment, teefnDomain } from '../contracts/fulfillmentTypedData.js'
import type { Hex } from '../runtime/bytes.js'
import { compatModeOf } from '../runtime/compat/compatMode.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import { statusCode } from '../runtime/resultStatus.js'
import {
  deployPhatAttestor,
  deployTestPhatConsumer,
  encodePhatReply,
  type TeefnPhatAttestorContract,
  type TestPhatConsumerContract,
} from './support/phatContracts.js'
import { envelopeStructOf, settledJob, until } from './support/stackChecks.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'
import { eventsNamed, mined, revertOf } from './support/teefnContracts.js'

// A consumer written against Phala's PhatRollupAnchor interface, deployed with an off-chain attestor account,
// switches to teefn with `setAttestor(TeefnPhatAttestor)`: the node (evm[].phatAttestors) relays each queued
// message, the worker runs the function on it, the submitter fulfils the attestor, and the attestor replies to the
// anchor in its own format, in queue order. The function is a Phat function, built unmodified with
// `--compat phat`. Real anvil, redis-server, QuickJS and the dev TEE provider.

const label = 'phat oracle'
const functionId = id(`stack function: ${label}`)
const entry = fileURLToPath(new URL('./fixtures/phat/upperCaseOracle.ts', import.meta.url))
const abi = AbiCoder.defaultAbiCoder()
const headKey = `0x${Buffer.from('q/_head').toString('hex')}`
const attestorInterface = new Interface(loadArtifact('TeefnPhatAttestor').abi)

let stack: TeefnStack
let code: string
let anchor: TestPhatConsumerContract
let attestor: TeefnPhatAttestorContract
let attestorAddress: Hex

beforeAll(async () => {
  stack = await startTeefnStack({
    consumerLists: async (chain) => {
      anchor = await deployTestPhatConsumer(chain.f.oracleOwner, chain.f.stranger.address)
      attestor = await deployPhatAttestor(chain.f.admin, {
        registry: String(chain.f.registry.target),
        anchor: String(anchor.target),
        functionId,
      })
      attestorAddress = (await attestor.getAddress()) as Hex
      // The attestor is added to the allow-list by the relayer itself.
      return { consumers: [chain.consumerAddress], phatAttestors: [attestorAddress] }
    },
  })
  ;({ code } = await bundleFunction({ entry, compat: 'phat' }))
  await stack.register(code, label)
}, 60_000)
afterAll(async () => {
  await stack?.close()
})

const chain = () => stack.chains[0]!
const phat = () => stack.node.evm[0]!.phat!

async function push(query: string): Promise<number> {
  const receipt = await mined(anchor.connect(chain().f.relayer).request(query))
  return Number(eventsNamed(receipt, anchor, 'MessageQueued')[0]!.args.idx)
}

async function answeredIds(): Promise<bigint[]> {
  const count = Number(await anchor.answeredCount())
  return Promise.all(Array.from({ length: count }, (_, index) => anchor.answeredIds(index)))
}

const jobIdOf = (requestId: string) =>
  requestJobId({
    trigger: 'evm',
    chainId: String(chain().anvil.chainId),
    destination: attestorAddress,
    requestId: requestId as Hex,
  })

/** The node account's transactions to the attestor since `fromBlock`, by method, with their gas. */
async function nodeTransactions(fromBlock: number) {
  const { provider, relayer } = chain().f
  const byMethod = new Map<string, { count: number; reverted: number; gas: bigint[] }>()
  for (let number = fromBlock; number <= (await provider.getBlockNumber()); number++) {
    for (const tx of (await provider.getBlock(number, true))?.prefetchedTransactions ?? []) {
      if (tx.from !== relayer.address || tx.to !== attestorAddress) continue
      const method = attestorInterface.parseTransaction(tx)!.name
      const receipt = (await provider.getTransactionReceipt(tx.hash))!
      const entry = byMethod.get(method) ?? { count: 0, reverted: 0, gas: [] }
      entry.count++
      if (receipt.status !== 1) entry.reverted++
      entry.gas.push(receipt.gasUsed)
      byMethod.set(method, entry)
    }
  }
  return byMethod
}

describe('a Phat consumer served by teefn nodes', () => {
  it('switches over with setAttestor; every message is relayed, run and answered once, in queue order', async () => {
    expect(compatModeOf(code)).toBe('phat') // what the worker runs: the Phat source, in the mode's wrapper
    const { f } = chain()
    const fromBlock = await f.provider.getBlockNumber()
    // Before the switch the old attestor answers in the anchor's format.
    const first = await push('old')
    await mined(
      anchor
        .connect(f.stranger)
        .rollupU256CondEq(
          [headKey],
          [abi.encode(['uint32'], [first])],
          [],
          [],
          [
            concat(['0x00', encodePhatReply(1n, 'OLD')]),
            concat(['0x01', abi.encode(['uint32'], [first + 1])]),
          ],
        ),
    )
    await push('eth')
    await push('btc')
    await phat().poll()
    await phat().poll()
    expect(phat().stats().relayed).toBe(0) // not the attestor yet: nothing to relay
    expect(await attestor.requestCount()).toBe(0n)

    await mined(anchor.connect(f.oracleOwner).setAttestor(attestorAddress))
    await push('fail')
    await push('sol')
    await until('every message to be processed', async () => (await attestor.queueBounds())[0] === 5n)

    expect(await answeredIds()).toEqual([1n, 2n, 3n, 5n])
    expect([await anchor.answers(2n), await anchor.answers(3n), await anchor.answers(5n)]).toEqual([
      'ETH',
      'BTC',
      'SOL',
    ])
    const skipped = await f.provider.getLogs({
      address: attestorAddress,
      topics: [attestorInterface.getEvent('MessageSkipped')!.topicHash],
      fromBlock,
    })
    const skips = skipped.map((log) => attestorInterface.parseLog(log)!.args)
    expect(skips.map((args) => Number(args.index))).toEqual([3]) // the run that failed: no reply, the queue moves on
    // The function's thrown Error: a failed run, not a timeout or an unusable result.
    expect(skips[0]!.status).toBe(BigInt(statusCode('FUNCTION_ERROR')))
    // Counted: four messages, four runs, four relays, four fulfilments, nothing reverted or sent twice.
    expect(await attestor.requestCount()).toBe(4n)
    expect(phat().stats()).toMatchObject({ relayed: 4, flushed: 0, errors: 0 })
    expect(stack.node.evm[0]!.submitter!.stats().fulfilled).toBe(4)
    const sent = await nodeTransactions(fromBlock)
    expect(sent.get('relay')).toMatchObject({ count: 4, reverted: 0 })
    const fulfils = [...sent.entries()].filter(([method]) => method.startsWith('fulfill'))
    expect(fulfils.reduce((total, [, entry]) => total + entry.reverted, 0)).toBe(0)
    expect(fulfils.reduce((total, [, entry]) => total + entry.count, 0)).toBeLessThanOrEqual(4)
    for (const gas of sent.get('relay')!.gas) expect(gas).toBeLessThan(200_000n)
  })

  it('refuses a rollup from a non-attestor and an answer no worker signed, and holds an early answer for its turn', async () => {
    const { f, deliveries } = chain()
    const before = await answeredIds()
    await deliveries.pause()
    try {
      const indexes = [await push('x'), await push('y')]
      const requestIds = await until('both messages to be relayed', async () => {
        const ids = await Promise.all(indexes.map((index) => attestor.requestIdOf(index)))
        return ids.every((requestId) => BigInt(requestId) !== 0n) && ids
      })
      const [earlyJob, lateJob] = await until('both answers to be signed', async () => {
        const jobs = await Promise.all(requestIds.map((requestId) => deliveries.getJob(jobIdOf(requestId))))
        return jobs.every(Boolean) && jobs
      })

      const rollup = anchor
        .connect(f.functionOwner)
        .rollupU256CondEq(
          [headKey],
          [abi.encode(['uint32'], [indexes[0]])],
          [],
          [],
          [concat(['0x00', encodePhatReply(6n, 'FORGED')])],
        )
      expect((await revertOf(rollup)).name).toBe('BadAttestor')

      const envelope = lateJob!.data.envelope
      const real = envelopeStructOf(envelope)
      const forger = Wallet.createRandom()
      const forged = await signFulfillment(forger, teefnDomain(f.chainId, attestorAddress), {
        requestId: envelope.requestId,
        functionId: envelope.functionId,
        payloadHash: envelope.payloadHash,
        codeHash: envelope.codeHash,
        status: 0,
        result: encodePhatReply(7n, 'FORGED'),
      })
      expect(await revertOf(attestor.connect(f.stranger).fulfill(forged))).toEqual({
        name: 'WorkerNotActive',
        args: [forger.address],
      })

      // Anyone may submit a worker's envelope: the later one, first, is held for its turn.
      const held = await mined(attestor.connect(f.stranger).fulfill(real))
      expect(eventsNamed(held, attestor, 'ReplyHeld').map((event) => Number(event.args.index))).toEqual([
        indexes[1],
      ])
      expect(await answeredIds()).toEqual(before)

      await deliveries.resume()
      const early = await settledJob(deliveries, earlyJob!.id!)
      const late = await settledJob(deliveries, lateJob!.id!)
      expect(early.returnvalue).toMatchObject({ outcome: 'fulfilled' })
      expect(late.returnvalue).toMatchObject({ outcome: 'alreadyFulfilled' })
      expect(await answeredIds()).toEqual([...before, 6n, 7n])
      expect([await anchor.answers(6n), await anchor.answers(7n)]).toEqual(['X', 'Y'])
    } finally {
      await deliveries.resume()
    }
  })
})
