import { setTimeout as sleep } from 'node:timers/promises'
import { hexlify, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { type RunCounter, startRunCounter } from '../support/startRunCounter.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'
import {
  deployForgedRequestEmitter,
  deployTestConsumer,
  mined,
  sentRequestsOf,
  type TestConsumerContract,
} from '../support/teefnContracts.js'

// Open sign-up (issue 13): the node has no consumer list. It serves every consumer the registry holds as
// registered, a consumer deployed after it started included, and ignores a denied one. A contract that copies
// `RequestSent` (same signature, an id that recomputes, a pending `requestInfo`) but never signed up gets no job
// from the watcher, and a job forged for it in Redis gets no run and no signature from the worker.

let stack: TeefnStack
let counter: RunCounter
let denied: TestConsumerContract

beforeAll(async () => {
  counter = await startRunCounter()
  stack = await startTeefnStack({
    allowHosts: [counter.host],
    consumerLists: async (chain) => {
      denied = await deployTestConsumer(chain.f.admin, { registry: String(chain.f.registry.target) })
      return { denyConsumers: [String(denied.target)] }
    },
  })
})
afterAll(async () => {
  await stack?.close()
  await counter?.close()
})

const payload = (text: string) => hexlify(toUtf8Bytes(text))
const chain = () => stack.chains[0]!
const watcher = () => stack.node.evm[0]!.watcher!
const jobIdAt = (destination: string, requestId: string) =>
  requestJobId({
    trigger: 'evm',
    chainId: String(chain().anvil.chainId),
    destination: destination as Hex,
    requestId: requestId as Hex,
  })

async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('a node without a consumer list', () => {
  it('answers a consumer deployed after it started, without a restart', async () => {
    const { functionId } = await stack.register(counter.functionCode('late'), 'late consumer')
    const late = await deployTestConsumer(chain().f.admin, { registry: String(chain().f.registry.target) })
    expect(await chain().f.registry.isConsumer(String(late.target))).toBe(true)
    const receipt = await mined(late.request(functionId, payload('hello')))
    const [sent] = sentRequestsOf(receipt, String(late.target))
    await until('the answer on-chain', async () => (await late.hookCalls()) === 1n)
    expect(await late.lastRequestId()).toBe(sent!.requestId)
    expect(Buffer.from((await late.lastResult()).slice(2), 'hex').toString()).toBe(
      `late answered ${payload('hello')}`,
    )
    expect(counter.runs('late')).toBe(1)
  })

  it('ignores a denied consumer, though it is registered', async () => {
    const { functionId } = await stack.register(counter.functionCode('denied'), 'denied consumer')
    expect(await chain().f.registry.isConsumer(String(denied.target))).toBe(true)
    const before = watcher().stats().ignoredDenied
    const receipt = await mined(denied.request(functionId, payload('denied')))
    const [sent] = sentRequestsOf(receipt, String(denied.target))
    // A request of a served consumer after it: once it is answered, the watcher has been past the denied one.
    const served = await stack.request(functionId, payload('served'))
    await stack.envelopeOf(served.requestId)
    await watcher().scan()
    expect(watcher().stats().ignoredDenied).toBeGreaterThan(before)
    expect(await stack.requests.getJob(jobIdAt(String(denied.target), sent!.requestId))).toBeUndefined()
    expect(counter.runs('denied', payload('denied'))).toBe(0)
    expect(await denied.hookCalls()).toBe(0n)
  })
})

describe('a contract that emits RequestSent without signing up', () => {
  it('gets no job from the watcher, and no run or signature for a job forged in Redis', async () => {
    const { functionId } = await stack.register(counter.functionCode('forged'), 'forged emitter')
    const forger = await deployForgedRequestEmitter(chain().f.stranger)
    const forgerAddress = String(forger.target)
    expect(await chain().f.registry.isConsumer(forgerAddress)).toBe(false)
    const before = watcher().stats().ignoredUnregistered
    const receipt = await mined(forger.request(functionId, payload('forged')))
    const [sent] = sentRequestsOf(receipt, forgerAddress)
    const jobId = jobIdAt(forgerAddress, sent!.requestId)

    // The watcher reads it by topic, asks the registry, and drops it (counted).
    const served = await stack.request(functionId, payload('served'))
    await stack.envelopeOf(served.requestId)
    await watcher().scan()
    expect(watcher().stats().ignoredUnregistered).toBeGreaterThan(before)
    expect(await stack.requests.getJob(jobId)).toBeUndefined()

    // Job data is untrusted: whoever writes Redis queues the job the watcher refused to make, exactly as it would
    // have made it. The worker reads the registry through its quorum and refuses, before anything runs.
    const forged: RequestJobData = {
      trigger: 'evm',
      chainId: String(chain().anvil.chainId),
      destination: forgerAddress as Hex,
      requestId: sent!.requestId as Hex,
      functionId: functionId,
      request: payload('forged'),
      sender: chain().f.stranger.address,
      seenAt: Date.now(),
      origin: { blockNumber: receipt.blockNumber },
    }
    const job = await stack.requests.add('request', forged, { jobId })
    await until('the forged job to settle', async () => (await job.isFailed()) || (await job.isCompleted()))
    expect(counter.runs('forged', payload('forged'))).toBe(0)
    expect(await chain().deliveries.getJob(jobId)).toBeUndefined()
    const failed = await stack.requests.getJob(jobId)
    expect(failed?.failedReason).toMatch(/is not a registered consumer/)
    expect(failed?.attemptsMade).toBe(1)
  })
})
