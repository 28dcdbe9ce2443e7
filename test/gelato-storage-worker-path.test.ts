import { fileURLToPath } from 'node:url'
import { hexlify, toUtf8Bytes, toUtf8String } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import type { Hex } from '../runtime/bytes.js'
import { functionStoreKeys } from '../runtime/store/functionStoreKeys.js'
import { deployGelatoExecutor, type GelatoExecutorContract } from './support/gelatoExecutor.js'
import { until } from './support/stackChecks.js'
import { type RunCounter, startRunCounter } from './support/startRunCounter.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'
import { eventsNamed, mined, sentRequestsOf } from './support/teefnContracts.js'

// A Gelato Web3 Function's `context.storage` on the worker path: kept by the node between runs, sealed in its
// Redis per function scope, written back after a run that returned (canExec true or false), never after one that
// threw; two overlapping runs cannot both write from the same start.

let stack: TeefnStack
let runs: RunCounter
let executor: GelatoExecutorContract
let executorAddress: string
let code: string

beforeAll(async () => {
  runs = await startRunCounter()
  stack = await startTeefnStack({
    server: true,
    allowHosts: [runs.host],
    // Two HTTP runs at once, for the overlapping runs.
    worker: { threads: 3, httpThreads: 2, concurrency: 3, httpConcurrency: 2 },
    consumerLists: async (chain) => {
      executor = await deployGelatoExecutor(chain.f.oracleOwner, {
        registry: String(chain.f.registry.target),
      })
      executorAddress = (await executor.getAddress()).toLowerCase()
      return { consumers: [chain.consumerAddress, executorAddress] }
    },
  })
  ;({ code } = await bundleFunction({
    entry: fileURLToPath(new URL('./fixtures/gelato/storageCounter.js', import.meta.url)),
    compat: 'gelato',
  }))
}, 120_000)

afterAll(async () => {
  await stack?.close()
  await runs?.close()
})

const storageKey = (functionId: Hex) => functionStoreKeys('teefn').gelatoStorage(stack.scopeOf(functionId))

/** Registers the counter under a fresh functionId; `httpRuns`: its owner lets HTTP callers use its key. */
async function deploy(label: string, { httpRuns = true } = {}): Promise<{ functionId: Hex; codeHash: Hex }> {
  const registered = await stack.register(code, label)
  if (!httpRuns) return registered
  await stack.allowHttpSecrets(registered.functionId)
  return registered
}

/** Invokes the function over HTTP; the caller's `storage` must count for nothing. */
async function invoke(
  { functionId, codeHash }: { functionId: Hex; codeHash: Hex },
  userArgs: object = {},
): Promise<{ status: string; result: string }> {
  const request = JSON.stringify({ userArgs, storage: { count: '1000' } })
  const response = await fetch(`${stack.node.serverUrl}/v1/functions/${codeHash}/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request, functionId }),
  })
  expect(response.status).toBe(200)
  const { status, result } = (await response.json()) as { status: string; result: string }
  return { status, result }
}

const counted = (count: number) => ({ status: 'OK', result: `{"canExec":false,"message":"count ${count}"}` })

describe('Gelato storage on the worker path', { timeout: 120_000 }, () => {
  it('persists between HTTP runs, sealed: 1, 2, 3, and Redis holds no plaintext', async () => {
    const fn = await deploy('storage: http')
    for (const count of [1, 2, 3]) expect(await invoke(fn)).toEqual(counted(count))
    const stored = await stack.connection.hgetallBuffer(storageKey(fn.functionId))
    expect(stored.version?.toString()).toBe('3')
    const raw = Buffer.concat(Object.values(stored)).toString('latin1')
    for (const plain of ['count', '"3"', '{"']) expect(raw).not.toContain(plain)
  })

  it('leaves storage as it was after a run that threw', async () => {
    const fn = await deploy('storage: throw')
    expect(await invoke(fn)).toEqual(counted(1))
    const failed = await invoke(fn, { fail: true })
    expect(failed.status).toBe('FUNCTION_ERROR')
    expect(failed.result).toContain('failing at count 2')
    expect(await invoke(fn)).toEqual(counted(2))
  })

  it('keeps nothing for HTTP runs that do not get the function key (its owner did not opt in)', async () => {
    const fn = await deploy('storage: not opted in', { httpRuns: false })
    expect(await invoke(fn)).toEqual(counted(1001))
    expect(await invoke(fn)).toEqual(counted(1001))
    expect(await stack.connection.exists(storageKey(fn.functionId))).toBe(0)
  })

  it("refuses a blob copied from another function's key or altered by one byte, saying what to do", async () => {
    const fn = await deploy('storage: victim')
    const other = await deploy('storage: donor')
    expect(await invoke(fn)).toEqual(counted(1))
    for (const _ of [1, 2, 3]) await invoke(other)
    const key = storageKey(fn.functionId)
    const own = await stack.connection.hgetallBuffer(key)

    await stack.connection.copy(storageKey(other.functionId), key, 'REPLACE')
    const copied = await invoke(fn)
    expect(copied.status).toBe('INTERNAL_ERROR')
    expect(copied.result).toContain('The Gelato storage of this function cannot be opened by this worker.')
    expect(copied.result).toContain('delete the function')
    expect(copied.result).toContain(key)

    const altered = Buffer.from(own.sealed!)
    altered[altered.length - 5]! ^= 1
    await stack.connection.hset(key, { version: own.version!, sealed: altered })
    expect((await invoke(fn)).status).toBe('INTERNAL_ERROR')
    // Nothing was written by the refused runs; the real blob opens again.
    await stack.connection.hset(key, own)
    expect(await invoke(fn)).toEqual(counted(2))
  })

  it('lets only one of two overlapping runs write from the same start; the other fails with the conflict', async () => {
    const fn = await deploy('storage: race')
    const label = 'race'
    runs.hold(label)
    const report = `${runs.url}/run/${label}/`
    const both = [invoke(fn, { report }), invoke(fn, { report })]
    // Both loaded version 0 before either could write: both are at the report.
    await runs.waitForRuns(label, 2)
    runs.release(label)
    const results = await Promise.all(both)
    expect(results).toContainEqual(counted(1))
    const refused = results.find((result) => result.status !== 'OK')
    expect(refused?.status).toBe('INTERNAL_ERROR')
    expect(refused?.result).toContain('Another run of this function updated its Gelato storage first')
    expect(await invoke(fn)).toEqual(counted(2))
  })

  it('persists between runs of a TeefnGelatoExecutor task: 1, 2, 3 in its TaskSkipped messages', async () => {
    const { functionId } = await deploy('storage: executor', { httpRuns: false })
    const { f } = stack.chains[0]!
    await mined(executor.connect(f.oracleOwner).createTask(functionId, hexlify(toUtf8Bytes('{}')), 0))
    const taskId = await executor.taskCount()
    const messages: string[] = []
    for (const _ of [1, 2, 3]) {
      const receipt = await mined(executor.connect(f.stranger).checkTask(taskId))
      const { requestId } = sentRequestsOf(receipt, executorAddress)[0]!
      const fulfilled = await until(`the fulfilment of ${requestId}`, async () => {
        const logs = await f.provider.getLogs({
          address: executorAddress,
          topics: [executor.interface.getEvent('RequestFulfilled')!.topicHash, requestId],
          fromBlock: 0,
        })
        return logs[0]
          ? ((await f.provider.getTransactionReceipt(logs[0].transactionHash)) ?? undefined)
          : undefined
      })
      const skipped = eventsNamed(fulfilled, executor, 'TaskSkipped')
      messages.push(toUtf8String(skipped[0]!.args.message))
    }
    expect(messages).toEqual(['count 1', 'count 2', 'count 3'])
  })
})
