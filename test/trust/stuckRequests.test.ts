import { setTimeout as sleep } from 'node:timers/promises'
import { hexlify, id, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { functionStoreKeys } from '../../runtime/store/functionStoreKeys.js'
import { envelopeStructOf, settledJob, submitterTransactions, until } from '../support/stackChecks.js'
import { type LyingRpcProxy, startLyingRpcProxy } from '../support/startLyingRpcProxy.js'
import { type RunCounter, startRunCounter } from '../support/startRunCounter.js'
import { type StackChain, startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'
import { eventsNamed, mined, revertOf } from '../support/teefnContracts.js'

// Fault tests: requests end. Whatever happens between a request and its answer (an upgrade, a lapsed admission,
// an RPC outage, a Redis data loss), the request is answered once things are back, and nothing is signed that
// the chain would refuse or that would end it wrongly; what can never be answered ends (the retry horizon, the
// consumer's deadline) without a signature or a re-run. Each case counts runs (the function reports to a local
// server) and the submitter's transactions: the contract would refuse a second fulfilment anyway.

let stack: TeefnStack
let counter: RunCounter
// The worker reads the chain through this endpoint (the watcher and the submitter do not): an outage to play.
let workerRpc: LyingRpcProxy

beforeAll(async () => {
  counter = await startRunCounter()
  stack = await startTeefnStack({
    allowHosts: [counter.host],
    rpc: async (chain) => {
      workerRpc = await startLyingRpcProxy(chain.anvil.rpcUrl)
      return { rpcUrls: [workerRpc.url], rpcQuorum: 1 }
    },
  })
})
afterAll(async () => {
  await stack?.close()
  await workerRpc?.close()
  await counter?.close()
})

const eth = hexlify(toUtf8Bytes('ETH/USD'))

/** Removes the stack's worker from the registry, or admits it again (for a day from the chain's now). */
async function setAdmitted(chain: StackChain, admitted: boolean) {
  const { registry, provider } = chain.f
  if (!admitted) {
    await mined(registry.removeWorker(stack.worker.evmAddress))
    return
  }
  const now = (await provider.getBlock('latest'))!.timestamp
  await mined(registry.admitWorker(stack.worker.evmAddress, id('dev attestation'), now + 86_400))
}

/**
 * The request job `jobId` once it failed `attempts` times, the last with an error matching `reason`, and is
 * waiting to be tried again; an error at once if it ended instead (answered, or given up).
 */
const retried = (jobId: string, attempts: number, reason: RegExp, timeoutMs = 15_000) =>
  until(
    `${jobId} to have failed ${attempts} attempts with ${reason}`,
    async () => {
      const job = await stack.requests.getJob(jobId)
      if (!job) return undefined
      const state = await job.getState()
      if (state === 'completed' || state === 'failed') {
        const outcome = job.returnvalue?.status ?? job.failedReason
        throw new Error(`${jobId} ${state} (${outcome}) instead of waiting for a retry`)
      }
      return job.attemptsMade >= attempts && reason.test(job.failedReason ?? '') ? job : undefined
    },
    timeoutMs,
  )

describe('a request in trouble', () => {
  it('is run again on the new code when an upgrade lands between signing and delivery (CodeHashMismatch)', async () => {
    const chain = stack.chains[0]!
    const { functionId } = await stack.register(counter.functionCode('upgrade-v1'), 'upgrade')
    const { codeHash: v2 } = await stack.store.putFunction(counter.functionCode('upgrade-v2'))
    const transactionsBefore = await submitterTransactions(chain)
    counter.hold('upgrade-v1')
    const sent = await stack.request(functionId, eth)
    const jobId = stack.jobIdOf(sent.requestId)
    await counter.waitForRuns('upgrade-v1') // the worker read v1 from the registry and runs it
    await mined(chain.f.registry.connect(chain.f.functionOwner).upgradeFunction(functionId, v2))
    counter.release('upgrade-v1')

    const first = await settledJob(chain.deliveries, jobId)
    expect(first.failedReason).toBeUndefined()
    expect(first.returnvalue).toEqual({ outcome: 'rerun', reason: 'CodeHashMismatch', run: 1 })
    const rerun = await settledJob(chain.deliveries, `${jobId}-r1`)
    expect(rerun.data.envelope.codeHash).toBe(v2)
    expect(rerun.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect([counter.runs('upgrade-v1'), counter.runs('upgrade-v2')]).toEqual([1, 1])
    // The refused v1 answer cost no transaction (the consumer's refusal showed in the gas estimate).
    expect(await submitterTransactions(chain)).toBe(transactionsBefore + 1)
  })

  it('signs nothing while its worker is not admitted (WorkerNotActive in flight), and is answered once it is again', async () => {
    const chain = stack.chains[0]!
    const { functionId } = await stack.register(counter.functionCode('admission'), 'admission')
    const transactionsBefore = await submitterTransactions(chain)
    counter.hold('admission')
    const sent = await stack.request(functionId, eth)
    const jobId = stack.jobIdOf(sent.requestId)
    await counter.waitForRuns('admission') // admitted when the worker read the chain
    await setAdmitted(chain, false)
    counter.release('admission')

    const first = await settledJob(chain.deliveries, jobId)
    expect(first.failedReason).toBeUndefined()
    expect(first.returnvalue).toEqual({ outcome: 'rerun', reason: 'WorkerNotActive', run: 1 })
    // The re-run finds its worker not admitted: put back, again and again, with nothing signed or run.
    await retried(`${jobId}-r1`, 2, /not admitted/)
    expect(await chain.deliveries.getJob(`${jobId}-r1`)).toBeUndefined()
    expect(counter.runs('admission')).toBe(1)

    await setAdmitted(chain, true)
    const rerun = await settledJob(chain.deliveries, `${jobId}-r1`)
    expect(rerun.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(counter.runs('admission')).toBe(2)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore + 1)
  })

  it('outlives an RPC outage longer than the old 8 s retry budget, signing nothing during it', async () => {
    const chain = stack.chains[0]!
    const { functionId } = await stack.register(counter.functionCode('outage'), 'outage')
    const transactionsBefore = await submitterTransactions(chain)
    workerRpc.setMode('refuse')
    const outageEnds = Date.now() + 12_000
    const sent = await stack.request(functionId, eth)
    const jobId = stack.jobIdOf(sent.requestId)
    // Five failed attempts (0.5 s doubling: 7.5 s) used up the old budget; the job is still waiting to retry.
    await retried(jobId, 5, /did not agree/, 20_000)
    await sleep(Math.max(0, outageEnds - Date.now())) // the outage goes on
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined()
    expect(counter.runs('outage')).toBe(0)

    workerRpc.setMode('forward')
    const delivery = await settledJob(chain.deliveries, jobId, 30_000)
    expect(delivery.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(counter.runs('outage')).toBe(1)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore + 1)
  }, 60_000)

  it('waits for a bundle lost with Redis data, never signing FUNCTION_NOT_FOUND, and is answered after the re-upload', async () => {
    const chain = stack.chains[0]!
    const code = counter.functionCode('lost-bundle')
    const { functionId, codeHash } = await stack.register(code, 'lost bundle')
    await stack.connection.del(functionStoreKeys('teefn').function(codeHash)) // the data loss
    expect(await stack.store.getFunction(codeHash)).toBeUndefined()
    const transactionsBefore = await submitterTransactions(chain)
    const sent = await stack.request(functionId, eth)
    const jobId = stack.jobIdOf(sent.requestId)

    await retried(jobId, 2, /not stored here/)
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined()
    expect(counter.runs('lost-bundle')).toBe(0)

    await stack.store.putFunction(code)
    const delivery = await settledJob(chain.deliveries, jobId)
    expect(delivery.data.envelope.status).toBe('OK')
    expect(delivery.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(counter.runs('lost-bundle')).toBe(1)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore + 1)
  })
})

describe("a request past the consumer's deadline", () => {
  /** A request whose worker is not admitted: retried unsigned, while the deadline passes. */
  async function unansweredPastDeadline(label: string) {
    const chain = stack.chains[0]!
    const { functionId } = await stack.register(counter.functionCode(label), label)
    await setAdmitted(chain, false)
    const sent = await stack.request(functionId, eth)
    const jobId = stack.jobIdOf(sent.requestId)
    await retried(jobId, 1, /not admitted/)
    // The requester can give up only after the deadline.
    expect(await revertOf(chain.consumer.connect(chain.f.oracleOwner).cancelRequest(sent.requestId))).toEqual(
      { name: 'RequestNotExpired', args: [sent.requestId, sent.deadline] },
    )
    await chain.anvil.increaseTime(Number(await chain.consumer.requestTimeout()) + 1)
    expect(await chain.consumer.isPending(sent.requestId)).toBe(false)
    return { sent, jobId }
  }

  /** Admits the worker again while the job still retries: the chain says the request is over, so nothing runs. */
  async function lateRunRefused(label: string, jobId: string) {
    const chain = stack.chains[0]!
    const transactionsBefore = await submitterTransactions(chain)
    await setAdmitted(chain, true)
    const job = await settledJob(stack.requests, jobId)
    expect(await job.getState()).toBe('failed')
    expect(job.failedReason).toMatch(/no longer waits for an answer/)
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined() // nothing signed
    expect(counter.runs(label)).toBe(0) // nothing run
    expect(await submitterTransactions(chain)).toBe(transactionsBefore)
  }

  /** A request answered (signed) in time whose delivery is held until the request is over. */
  async function signedThenHeld(label: string) {
    const chain = stack.chains[0]!
    const { functionId } = await stack.register(counter.functionCode(label), label)
    await chain.deliveries.pause()
    try {
      const sent = await stack.request(functionId, eth)
      const jobId = stack.jobIdOf(sent.requestId)
      await until('its answer to be signed', async () => (await chain.deliveries.getJob(jobId)) ?? undefined)
      await chain.anvil.increaseTime(Number(await chain.consumer.requestTimeout()) + 1)
      return { sent, jobId }
    } catch (error) {
      await chain.deliveries.resume()
      throw error
    }
  }

  /** Lets the held delivery go: the consumer refuses it for good, with no re-run and no transaction. */
  async function heldAnswerRefused(label: string, jobId: string, reason: string) {
    const chain = stack.chains[0]!
    const transactionsBefore = await submitterTransactions(chain)
    await chain.deliveries.resume()
    const delivery = await settledJob(chain.deliveries, jobId)
    const outcome = delivery.failedReason ?? JSON.stringify(delivery.returnvalue)
    expect(`${await delivery.getState()}: ${outcome}`).toMatch(
      new RegExp(`^failed: The consumer rejected the envelope: ${reason}`),
    )
    expect(delivery.attemptsMade).toBe(1) // final at once
    expect(await stack.requests.getJob(`${jobId}-r1`)).toBeUndefined() // and no re-run
    expect(counter.runs(label)).toBe(1)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore)
    return delivery
  }

  it('is cancelled by its requester, and is then never run', async () => {
    const chain = stack.chains[0]!
    const { sent, jobId } = await unansweredPastDeadline('cancelled')
    expect(await revertOf(chain.consumer.connect(chain.f.stranger).cancelRequest(sent.requestId))).toEqual({
      name: 'NotRequester',
      args: [sent.requestId, chain.f.stranger.address],
    })
    const cancelsBefore = await chain.consumer.cancelCalls()
    const receipt = await mined(chain.consumer.connect(chain.f.oracleOwner).cancelRequest(sent.requestId))
    expect(eventsNamed(receipt, chain.consumer, 'RequestCancelled')).toHaveLength(1)
    expect((await chain.consumer.requestInfo(sent.requestId)).state).toBe(4n) // Cancelled
    expect(await chain.consumer.cancelCalls()).toBe(cancelsBefore + 1n)
    await lateRunRefused('cancelled', jobId)
  })

  it('is never run once past its deadline, cancelled or not', async () => {
    const chain = stack.chains[0]!
    const { sent, jobId } = await unansweredPastDeadline('expired')
    await lateRunRefused('expired', jobId)
    expect((await chain.consumer.requestInfo(sent.requestId)).state).toBe(1n) // Pending, expired in effect
  })

  it('refuses for good an answer signed in time but delivered after the requester cancelled (RequestCancelled)', async () => {
    const chain = stack.chains[0]!
    const { sent, jobId } = await signedThenHeld('held-cancelled')
    await mined(chain.consumer.connect(chain.f.oracleOwner).cancelRequest(sent.requestId))
    const delivery = await heldAnswerRefused('held-cancelled', jobId, 'RequestCancelled')
    expect(
      await revertOf(
        chain.consumer.connect(chain.f.stranger).fulfill(envelopeStructOf(delivery.data.envelope)),
      ),
    ).toEqual({
      name: 'RequestCancelled',
      args: [sent.requestId],
    })
  })

  it('refuses for good an answer signed in time but delivered after the deadline (RequestExpired)', async () => {
    const chain = stack.chains[0]!
    const { sent, jobId } = await signedThenHeld('held-expired')
    await heldAnswerRefused('held-expired', jobId, 'RequestExpired')
    expect(await chain.consumer.isPending(sent.requestId)).toBe(false)
  })
})

// A node of its own: a short horizon, and a Redis data loss that would otherwise wipe the first node's state.
describe('a second node, with a retry horizon of 3 s', () => {
  let short: TeefnStack
  beforeAll(async () => {
    short = await startTeefnStack({ allowHosts: [counter.host], retryHorizonSeconds: 3 })
  })
  afterAll(() => short?.close())

  it('ends a request that can never be answered (its bundle was never uploaded) as a failed job, nothing signed', async () => {
    const chain = short.chains[0]!
    const code = counter.functionCode('never-uploaded')
    const functionId = id('never uploaded') as `0x${string}`
    await mined(
      chain.f.registry.connect(chain.f.functionOwner).registerFunction(functionId, computeCodeHash(code)),
    )
    const transactionsBefore = await submitterTransactions(chain)
    const sent = await short.request(functionId, eth)
    const jobId = short.jobIdOf(sent.requestId)

    const job = await settledJob(short.requests, jobId, 20_000)
    expect(await job.getState()).toBe('failed')
    expect(job.failedReason).toMatch(/not stored here/)
    expect(job.attemptsMade).toBeGreaterThan(1) // retried until the horizon, not given up at once
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined()
    expect(counter.runs('never-uploaded')).toBe(0)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore)
    expect(await chain.consumer.isPending(sent.requestId)).toBe(true) // its requester may cancel it later
  })
  it('answers a request whose job, bundle and checkpoint a Redis data loss (FLUSHALL) took, once its bundle is back', async () => {
    const chain = short.chains[0]!
    const code = counter.functionCode('flushed')
    const busy = await short.register(counter.functionCode('flush-busy'), 'flush busy')
    const { functionId } = await short.register(code, 'flushed')
    // The worker (one job at a time) is busy, so the request's job waits in Redis when Redis loses everything.
    counter.hold('flush-busy')
    await short.request(busy.functionId, eth)
    await counter.waitForRuns('flush-busy')
    const sent = await short.request(functionId, eth)
    const jobId = short.jobIdOf(sent.requestId)
    await until('its job to wait', async () => (await short.requests.getJobState(jobId)) === 'waiting')
    const transactionsBefore = await submitterTransactions(chain)

    await short.connection.flushall()
    expect(await short.requests.getJob(jobId)).toBeUndefined()
    await short.store.putFunction(code) // re-added: the rest of the store stays lost
    counter.release('flush-busy')

    // The watcher, its checkpoint gone, scans the chain again and finds the request.
    const delivery = await settledJob(chain.deliveries, jobId, 15_000)
    expect(delivery.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(delivery.data.envelope.status).toBe('OK')
    expect(counter.runs('flushed')).toBe(1)
    expect(await submitterTransactions(chain)).toBe(transactionsBefore + 2) // the busy request's answer, and this one
  })
})
