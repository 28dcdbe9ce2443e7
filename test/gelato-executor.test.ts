import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { getAddress, hexlify, toUtf8Bytes, toUtf8String, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { hashPayload, signFulfillment, teefnDomain } from '../contracts/fulfillmentTypedData.js'
import type { Hex } from '../runtime/bytes.js'
import { parseEnvelope } from '../runtime/enclave/envelope.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import {
  canonicalGelatoResult,
  deployExecutorOnlyCounter,
  deployGelatoExecutor,
  type ExecutorOnlyCounterContract,
  type GelatoExecutorContract,
} from './support/gelatoExecutor.js'
import { envelopeStructOf, until } from './support/stackChecks.js'
import { type RunCounter, startRunCounter } from './support/startRunCounter.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'
import { eventsNamed, mined, revertOf, sentRequestsOf, testKey } from './support/teefnContracts.js'

// The Gelato executor on the whole stack: anvil, redis-server, the node (watcher, worker with the QuickJS
// sandbox and the dev TEE key, relayer). checkTask -> RequestSent({userArgs, gelatoArgs}) -> a Gelato Web3
// Function (test/fixtures/gelato/counterKeeper.ts, `Web3Function.onRun`) built with --compat gelato -> its result
// normalised to the canonical JSON, signed -> fulfil -> the executor verifies the envelope and performs the
// calls as the counter's only accepted caller.

let stack: TeefnStack
let runs: RunCounter
let executor: GelatoExecutorContract
let counter: ExecutorOnlyCounterContract
let executorAddress: string
let counterAddress: string
let functionId: Hex
let codeHash: Hex

beforeAll(async () => {
  runs = await startRunCounter()
  stack = await startTeefnStack({
    allowHosts: [runs.host],
    consumerLists: async (chain) => {
      executor = await deployGelatoExecutor(chain.f.oracleOwner, {
        registry: String(chain.f.registry.target),
      })
      executorAddress = (await executor.getAddress()).toLowerCase()
      counter = await deployExecutorOnlyCounter(chain.f.admin, executorAddress)
      counterAddress = (await counter.getAddress()).toLowerCase()
      return { consumers: [chain.consumerAddress, executorAddress] }
    },
  })
  const { code } = await bundleFunction({
    entry: fileURLToPath(new URL('./fixtures/gelato/counterKeeper.ts', import.meta.url)),
    compat: 'gelato',
  })
  ;({ functionId, codeHash } = await stack.register(code, 'gelato counter keeper'))
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await runs?.close()
})

const chain = () => stack.chains[0]!
const report = (label: string) => `${runs.url}/run/${encodeURIComponent(label)}/`

/** Creates a task with `userArgs`, checks it (as a stranger) and returns the run's request. */
async function checkNewTask(userArgs: object) {
  const { f } = chain()
  await mined(
    executor
      .connect(f.oracleOwner)
      .createTask(functionId, hexlify(toUtf8Bytes(JSON.stringify(userArgs))), 60),
  )
  const taskId = await executor.taskCount()
  const receipt = await mined(executor.connect(f.stranger).checkTask(taskId))
  return { taskId, request: sentRequestsOf(receipt, executorAddress)[0]! }
}

/** The receipt of the transaction that fulfilled `requestId`, once it is mined. */
async function fulfilment(requestId: string) {
  const { f } = chain()
  const topic = executor.interface.getEvent('RequestFulfilled')!.topicHash
  const logs = await until(`the fulfilment of ${requestId}`, async () => {
    const found = await f.provider.getLogs({
      address: executorAddress,
      topics: [topic, requestId],
      fromBlock: 0,
    })
    return found.length > 0 ? found : undefined
  })
  expect(logs).toHaveLength(1)
  return (await f.provider.getTransactionReceipt(logs[0]!.transactionHash))!
}

/** The envelope the worker queued for the executor's request `requestId`. */
async function envelopeOf(requestId: string) {
  const jobId = requestJobId({
    trigger: 'evm',
    chainId: String(chain().anvil.chainId),
    destination: executorAddress as Hex,
    requestId: requestId as Hex,
  })
  const job = await until(`the delivery of ${requestId}`, () => chain().deliveries.getJob(jobId))
  return parseEnvelope(job.data.envelope)
}

describe('the Gelato executor on the stack', () => {
  it("performs both calls of a canExec result once, as the target's only accepted caller", async () => {
    const label = 'two calls'
    // The function returns the checksummed address; the mode normalises it to the lowercase the executor reads.
    const { taskId, request } = await checkNewTask({
      counter: getAddress(counterAddress),
      amounts: [2, 5],
      report: report(label),
    })
    const receipt = await fulfilment(request.requestId)
    expect(eventsNamed(receipt, executor, 'TaskExecuted').map((e) => e.args.toObject())).toEqual([
      { taskId, requestId: request.requestId, calls: 2n },
    ])
    expect(eventsNamed(receipt, counter, 'Counted').map((e) => e.args.amount)).toEqual([2n, 5n])
    expect(await counter.count()).toBe(7n)
    expect((await revertOf(counter.connect(chain().f.stranger).increment(1))).name).toBe('NotExecutor')

    // The signed result is the canonical text, and it is final: replayed, it is refused; no second run.
    const envelope = await envelopeOf(request.requestId)
    expect(toUtf8String(envelope.result)).toBe(
      canonicalGelatoResult({
        canExec: true,
        callData: [
          { to: counterAddress, data: counter.interface.encodeFunctionData('increment', [2]) },
          { to: counterAddress, data: counter.interface.encodeFunctionData('increment', [5]) },
        ],
      }),
    )
    const replay = envelopeStructOf(envelope)
    expect((await revertOf(executor.connect(chain().f.stranger).fulfill(replay))).name).toBe(
      'AlreadyFulfilled',
    )
    await sleep(500)
    expect(runs.runs(label)).toBe(1)
    expect(await counter.count()).toBe(7n)
  })

  it('runs nothing for canExec false and records the message', async () => {
    const before = await counter.count()
    // The chain id comes from the payload's gelatoArgs.
    const message = `nothing to count on chain ${chain().anvil.chainId}`
    const { taskId, request } = await checkNewTask({ amounts: [] })
    const receipt = await fulfilment(request.requestId)
    const skipped = eventsNamed(receipt, executor, 'TaskSkipped').map((e) => e.args.toObject())
    expect(skipped).toMatchObject([{ taskId, requestId: request.requestId }])
    expect(toUtf8String(skipped[0]!.message)).toBe(message)
    expect(eventsNamed(receipt, counter, 'Counted')).toEqual([])
    expect(await counter.count()).toBe(before)
  })

  it('refuses a result signed by a key that is not an admitted worker, and takes the real one after', async () => {
    const label = 'forged'
    runs.hold(label)
    const before = await counter.count()
    // The real run answers canExec false; it is held until the forgery has been tried.
    const { taskId, request } = await checkNewTask({ amounts: [], report: report(label) })
    await runs.waitForRuns(label)
    const forgedResult = canonicalGelatoResult({
      canExec: true,
      callData: [{ to: counterAddress, data: counter.interface.encodeFunctionData('increment', [1000]) }],
    })
    const forged = await signFulfillment(
      new Wallet(testKey('gelato: not a worker')),
      teefnDomain(chain().f.chainId, executorAddress),
      {
        requestId: request.requestId,
        functionId,
        payloadHash: hashPayload(request.payload),
        codeHash,
        status: 0,
        result: hexlify(toUtf8Bytes(forgedResult)),
      },
    )
    const relayer = executor.connect(chain().f.stranger)
    expect((await revertOf(relayer.fulfill(forged))).name).toBe('WorkerNotActive')
    const batch = await mined(relayer.fulfillBatch([forged]))
    expect(eventsNamed(batch, executor, 'FulfillmentRejected').map((e) => e.args.reason)).toEqual([6n])
    expect(await executor.isPending(request.requestId)).toBe(true)

    runs.release(label)
    const receipt = await fulfilment(request.requestId)
    expect(eventsNamed(receipt, executor, 'TaskSkipped')[0]?.args.taskId).toBe(taskId)
    expect(await counter.count()).toBe(before)
  })
})
