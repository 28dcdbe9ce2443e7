import { hexlify, Interface, id, toUtf8Bytes, toUtf8String, Wallet } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../dev/startAnvil.js'
import { requestStateName } from '../runtime/chain/evm/consumerCodes.js'
import {
  canonicalGelatoResult,
  deployExecutorOnlyCounter,
  deployGelatoExecutor,
  type ExecutorOnlyCounterContract,
  type GelatoExecutorContract,
  type GelatoResult,
  type GelatoResultParserHarnessContract,
} from '../test/support/gelatoExecutor.js'
import {
  eventsNamed,
  mined,
  revertOf,
  sentRequestsOf,
  type TeefnContractsFixture,
  testKey,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { loadArtifact } from './artifacts.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let executor: GelatoExecutorContract
let counter: ExecutorOnlyCounterContract
let executorAddress: string
let counterAddress: string
const userArgs = '{"pair":"ETH/USD","threshold":3}'
const requestTimeout = 600

useTeefnChain({ isolate: true, requestTimeout }, (chain) => {
  ;({ anvil, f } = chain)
})
beforeAll(async () => {
  // Deployed before the snapshot each test reverts to is taken (useTeefnChain's beforeEach).
  executor = await deployGelatoExecutor(f.oracleOwner, {
    registry: String(f.registry.target),
    requestTimeout,
  })
  executorAddress = (await executor.getAddress()).toLowerCase()
  counter = await deployExecutorOnlyCounter(f.admin, executorAddress)
  counterAddress = (await counter.getAddress()).toLowerCase()
})

const counterInterface = () => new Interface(loadArtifact('ExecutorOnlyCounter').abi)
const incrementCall = (amount: number, to = counterAddress) => ({
  to,
  data: counterInterface().encodeFunctionData('increment', [amount]),
})

/** Creates a task for the fixture's registered function, checks it, and returns the run's request. */
async function startRun(interval = 60) {
  await mined(executor.createTask(f.functionId, hexlify(toUtf8Bytes(userArgs)), interval))
  const taskId = await executor.taskCount()
  const receipt = await mined(executor.connect(f.stranger).checkTask(taskId))
  const [request] = sentRequestsOf(receipt, executorAddress)
  return { taskId, request: request!, receipt }
}

/** Submits `result` (canonical JSON text unless a string) for `requestId`, signed by the admitted worker. */
async function fulfil(requestId: string, result: GelatoResult | string, options: { status?: number } = {}) {
  const text = typeof result === 'string' ? result : canonicalGelatoResult(result)
  const envelope = await f.sign(
    { requestId, result: hexlify(toUtf8Bytes(text)), status: options.status ?? 0 },
    { consumer: executorAddress },
  )
  return { envelope, receipt: await mined(executor.connect(f.relayer).fulfill(envelope)) }
}

const argsOf = (receipt: Parameters<typeof eventsNamed>[0], name: string) =>
  eventsNamed(receipt, executor, name).map((event) => event.args.toObject())

describe('TeefnGelatoExecutor tasks', () => {
  it('lets only its owner create and cancel tasks, for registered functions', async () => {
    const args = hexlify(toUtf8Bytes(userArgs))
    expect(await revertOf(executor.connect(f.stranger).createTask(f.functionId, args, 60))).toEqual({
      name: 'OwnableUnauthorizedAccount',
      args: [f.stranger.address],
    })
    expect((await revertOf(executor.createTask(id('not registered'), args, 60))).name).toBe(
      'FunctionNotRegistered',
    )
    const receipt = await mined(executor.createTask(f.functionId, args, 60))
    expect(argsOf(receipt, 'TaskCreated')).toEqual([
      { taskId: 1n, functionId: f.functionId, codeHash: f.codeHash, interval: 60n, userArgs: args },
    ])
    expect((await revertOf(executor.connect(f.stranger).cancelTask(1))).name).toBe(
      'OwnableUnauthorizedAccount',
    )
    await mined(executor.cancelTask(1))
    expect((await revertOf(executor.checkTask(1))).name).toBe('TaskNotActive')
    expect((await revertOf(executor.checkTask(2))).name).toBe('TaskNotActive')
  })

  it("asks for a run with the task's userArgs as the payload, from whoever checks it", async () => {
    const { taskId, request, receipt } = await startRun()
    expect(toUtf8String(request.payload)).toBe(
      `{"userArgs":${userArgs},"gelatoArgs":{"chainId":${f.chainId},"taskId":"${taskId}"}}`,
    )
    expect(JSON.parse(toUtf8String(request.payload)).userArgs).toEqual(JSON.parse(userArgs))
    expect(await executor.payloadOf(taskId)).toBe(request.payload)
    await mined(executor.createTask(f.functionId, '0x', 60))
    expect(toUtf8String(await executor.payloadOf(taskId + 1n))).toMatch(/^\{"userArgs":\{\},"gelatoArgs"/)
    expect(request.functionId).toBe(f.functionId)
    expect(request.requester).toBe(f.stranger.address)
    expect(argsOf(receipt, 'TaskChecked')).toEqual([{ taskId, requestId: request.requestId }])
    expect(await executor.taskOfRequest(request.requestId)).toBe(taskId)
    expect((await executor.taskOf(taskId)).pendingRequestId).toBe(request.requestId)
  })

  it('checks a task at most once per interval and never while its run can still be answered', async () => {
    const { taskId, request } = await startRun(60)
    const refused = await revertOf(executor.checkTask(taskId))
    expect(refused.name).toBe('TaskNotDue')
    await anvil.increaseTime(61)
    expect(await revertOf(executor.checkTask(taskId))).toEqual({
      name: 'TaskRunPending',
      args: [taskId, request.requestId],
    })
    await fulfil(request.requestId, { canExec: false, message: 'nothing to do' })
    expect((await executor.taskOf(taskId)).pendingRequestId).toBe(`0x${'00'.repeat(32)}`)
    await mined(executor.checkTask(taskId))
  })

  it('is not stuck on a run nobody answered: after its deadline the task can be checked again', async () => {
    const { taskId, request } = await startRun(60)
    await anvil.increaseTime(requestTimeout + 1)
    const receipt = await mined(executor.checkTask(taskId))
    expect(sentRequestsOf(receipt, executorAddress)[0]!.requestId).not.toBe(request.requestId)
    // The late answer to the first run is refused, so it can never run after the second.
    const envelope = await f.sign(
      { requestId: request.requestId, result: hexlify(toUtf8Bytes('{"canExec":true,"callData":[]}')) },
      { consumer: executorAddress },
    )
    expect((await revertOf(executor.connect(f.relayer).fulfill(envelope))).name).toBe('RequestExpired')
  })

  it('is pinned to the code its function had when it was created', async () => {
    const { taskId, request } = await startRun(0)
    const upgraded = id('bundle of the price function v2')
    await mined(f.registry.connect(f.functionOwner).upgradeFunction(f.functionId, upgraded))
    // An answer by the new code passes TeefnConsumer's checks (it is the registry's code now), but is not run.
    const text = canonicalGelatoResult({ canExec: true, callData: [incrementCall(1)] })
    const envelope = await f.sign(
      { requestId: request.requestId, codeHash: upgraded, result: hexlify(toUtf8Bytes(text)) },
      { consumer: executorAddress },
    )
    const receipt = await mined(executor.connect(f.relayer).fulfill(envelope))
    expect(argsOf(receipt, 'ResultRejected')).toEqual([
      { taskId, requestId: request.requestId, reason: 2n, position: 0n },
    ])
    expect(await counter.count()).toBe(0n)
    expect(await revertOf(executor.checkTask(taskId))).toEqual({
      name: 'TaskCodeChanged',
      args: [taskId, f.codeHash, upgraded],
    })
  })

  it("cancels a cancelled task's pending run, so its answer is refused", async () => {
    const { taskId, request } = await startRun()
    await mined(executor.cancelTask(taskId))
    expect(requestStateName((await executor.requestInfo(request.requestId)).state)).toBe('Cancelled')
    const envelope = await f.sign(
      {
        requestId: request.requestId,
        result: hexlify(toUtf8Bytes(canonicalGelatoResult({ canExec: true, callData: [incrementCall(1)] }))),
      },
      { consumer: executorAddress },
    )
    expect((await revertOf(executor.connect(f.relayer).fulfill(envelope))).name).toBe('RequestCancelled')
    expect(await counter.count()).toBe(0n)
  })
})

describe('TeefnGelatoExecutor results', () => {
  it('performs the calls in order as the dedicated msg.sender, once', async () => {
    expect((await revertOf(counter.connect(f.stranger).increment(1))).name).toBe('NotExecutor')
    const { taskId, request } = await startRun()
    const { envelope, receipt } = await fulfil(request.requestId, {
      canExec: true,
      callData: [incrementCall(2), incrementCall(5)],
    })
    expect(await counter.count()).toBe(7n)
    expect(await counter.lastAmount()).toBe(5n)
    expect(argsOf(receipt, 'TaskExecuted')).toEqual([{ taskId, requestId: request.requestId, calls: 2n }])
    expect((await revertOf(executor.connect(f.relayer).fulfill(envelope))).name).toBe('AlreadyFulfilled')
    expect(await executor.connect(f.relayer).fulfillBatch.staticCall([envelope])).toBe(0n)
    expect(await counter.count()).toBe(7n)
  })

  it('undoes every call of a run when one reverts, records which, and never runs it again', async () => {
    const { taskId, request } = await startRun()
    const { envelope, receipt } = await fulfil(request.requestId, {
      canExec: true,
      callData: [incrementCall(1), incrementCall(5000), incrementCall(3)],
    })
    expect(await counter.count()).toBe(0n)
    expect(argsOf(receipt, 'TaskExecuted')).toEqual([])
    expect(argsOf(receipt, 'TaskCallFailed')).toEqual([
      {
        taskId,
        requestId: request.requestId,
        index: 1n,
        reason: counterInterface().encodeErrorResult('AmountTooLarge', [5000]),
      },
    ])
    expect(eventsNamed(receipt, executor, 'RequestFulfilled')[0]?.args.hookSucceeded).toBe(true)
    expect((await revertOf(executor.connect(f.relayer).fulfill(envelope))).name).toBe('AlreadyFulfilled')
  })

  it('runs nothing for canExec false and records the message', async () => {
    const { taskId, request } = await startRun()
    const message = 'price within "threshold"\nno update'
    const { receipt } = await fulfil(request.requestId, { canExec: false, message })
    const [skipped] = argsOf(receipt, 'TaskSkipped')
    expect(skipped).toMatchObject({ taskId, requestId: request.requestId })
    expect(toUtf8String(skipped!.message)).toBe(message)
    expect(await counter.count()).toBe(0n)
  })

  it('rejects a malformed result as a whole, with the offset where it breaks', async () => {
    const { taskId, request } = await startRun()
    const good = canonicalGelatoResult({ canExec: true, callData: [incrementCall(1)] })
    const text = `${good.slice(0, -2)},{"to":"${counterAddress.toUpperCase()}"}]}`
    const { receipt } = await fulfil(request.requestId, text)
    expect(argsOf(receipt, 'ResultRejected')).toEqual([
      { taskId, requestId: request.requestId, reason: 0n, position: BigInt(good.length - 2 + 1 + 8) },
    ])
    expect(await counter.count()).toBe(0n)
  })

  it('refuses calls to itself or to the registry, before running any call', async () => {
    const registry = String(f.registry.target).toLowerCase()
    for (const [index, forbidden] of [executorAddress, registry].entries()) {
      const { taskId, request } = await startRun()
      const callData = [incrementCall(1), { to: forbidden, data: '0x' }]
      const { receipt } = await fulfil(request.requestId, { canExec: true, callData })
      expect(argsOf(receipt, 'ResultRejected'), `forbidden target ${index}`).toEqual([
        { taskId, requestId: request.requestId, reason: 1n, position: 1n },
      ])
      await mined(executor.cancelTask(taskId))
    }
    expect(await counter.count()).toBe(0n)
    expect((await revertOf(executor.connect(f.stranger).executeCalls([incrementCall(1)]))).name).toBe(
      'OnlySelf',
    )
  })

  it("records the function's error without running anything", async () => {
    const { taskId, request } = await startRun()
    const { receipt } = await fulfil(request.requestId, 'TypeError: boom', { status: 1 })
    const [failed] = argsOf(receipt, 'TaskRunFailed')
    expect(failed).toMatchObject({ taskId, requestId: request.requestId, status: 1n })
    expect(toUtf8String(failed!.message)).toBe('TypeError: boom')
  })

  it('refuses a result signed by a key the registry does not hold as a worker', async () => {
    const { request } = await startRun()
    const text = canonicalGelatoResult({ canExec: true, callData: [incrementCall(1)] })
    const forged = await f.sign(
      { requestId: request.requestId, result: hexlify(toUtf8Bytes(text)) },
      { consumer: executorAddress, signer: new Wallet(testKey('not a worker')) },
    )
    expect((await revertOf(executor.connect(f.relayer).fulfill(forged))).name).toBe('WorkerNotActive')
    await mined(executor.connect(f.relayer).fulfillBatch([forged]))
    expect(await counter.count()).toBe(0n)
    expect(await executor.isPending(request.requestId)).toBe(true)
  })

  it('reports its gas: checkTask, and a fulfilment that runs 1 and 3 calls', async () => {
    // A first run, so every measured call writes a counter slot that is already non-zero (5k, not 20k).
    const { receipt: check, request: first } = await startRun()
    await fulfil(first.requestId, { canExec: true, callData: [incrementCall(1)] })
    const gas: Record<string, bigint> = { checkTask: check.gasUsed }
    for (const count of [1, 3]) {
      const { request } = await startRun()
      const callData = Array.from({ length: count }, () => incrementCall(1))
      gas[`fulfil, ${count} call(s)`] = (
        await fulfil(request.requestId, { canExec: true, callData })
      ).receipt.gasUsed
    }
    // Measured 162,393 / 85,952 / 110,703 (solc 0.8.30, 200 runs; contracts/README.md).
    expect(gas.checkTask).toBeLessThan(170_000n)
    expect(gas['fulfil, 1 call(s)']!).toBeLessThan(95_000n)
    expect(gas['fulfil, 3 call(s)']!).toBeGreaterThan(gas['fulfil, 1 call(s)']!)
    expect(gas['fulfil, 3 call(s)']! - gas['fulfil, 1 call(s)']!).toBeLessThan(100_000n)
  })
})

describe('the hand-written types of the Gelato contracts', () => {
  it('name only functions the ABIs have', () => {
    const typed = {
      TeefnGelatoExecutor: [
        'owner',
        'taskCount',
        'createTask',
        'cancelTask',
        'checkTask',
        'taskOf',
        'taskOfRequest',
        'payloadOf',
        'executeCalls',
        'fulfill',
        'fulfillBatch',
      ] satisfies (keyof GelatoExecutorContract)[],
      ExecutorOnlyCounter: [
        'executor',
        'count',
        'lastAmount',
        'increment',
      ] satisfies (keyof ExecutorOnlyCounterContract)[],
      GelatoResultParserHarness: ['parse', 'parseGas'] satisfies (keyof GelatoResultParserHarnessContract)[],
    } as const
    for (const [contract, names] of Object.entries(typed)) {
      const abiNames = loadArtifact(contract as keyof typeof typed).abi.map((fragment) => fragment.name)
      for (const name of names) expect(abiNames, `${contract}.${name}`).toContain(name)
    }
  })
})
