import { hexlify, keccak256, toUtf8Bytes, type Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import {
  envelopeStructOf,
  fulfilmentsOf,
  settledJob,
  submitterTransactions,
  textOf,
  until,
} from '../support/stackChecks.js'
import { type EvmWsProxy, startEvmWsProxy } from '../support/startEvmWsProxy.js'
import { type LyingRpcProxy, startLyingRpcProxy } from '../support/startLyingRpcProxy.js'
import { type RunCounter, startRunCounter } from '../support/startRunCounter.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'
import { revertOf } from '../support/teefnContracts.js'

// Attack: a reorg. A request id commits to the chain, the consumer, the nonce, the requester, the function and
// the payload, so when a reorg puts another request at the same nonce, the old answer (signed, maybe still on
// its way) can never answer the new question, and the new question is a new job that runs. A request a reorg
// removed is cancelled while it waits, and refused unsigned by the worker if its job runs anyway.

let stack: TeefnStack
let counter: RunCounter
// The relayer's endpoints: the submitter's JSON-RPC (to hold deliveries) and the watcher's WebSocket (to
// announce removed logs, which anvil does not).
let relayerRpc: LyingRpcProxy
let relayerWs: EvmWsProxy

beforeAll(async () => {
  counter = await startRunCounter()
  stack = await startTeefnStack({
    allowHosts: [counter.host],
    relayer: async (chain) => {
      relayerRpc = await startLyingRpcProxy(chain.anvil.rpcUrl)
      relayerWs = await startEvmWsProxy(chain.anvil.wsUrl)
      return { rpcUrl: relayerRpc.url, wsUrl: relayerWs.url }
    },
  })
})
afterAll(async () => {
  await stack?.close()
  await relayerRpc?.close()
  await relayerWs?.close()
  await counter?.close()
})

const eth = hexlify(toUtf8Bytes('ETH/USD'))
const btc = hexlify(toUtf8Bytes('BTC/USD'))

/** `envelope` sent straight to the consumer by someone who holds it (anyone may submit). */
const fulfil = (envelope: Envelope) => {
  const chain = stack.chains[0]!
  return chain.consumer.connect(chain.f.stranger).fulfill(envelopeStructOf(envelope))
}

/**
 * The reorg: ETH/USD is asked from `first` and answered, but its delivery is held (the submitter cannot reach the
 * node); then the chain goes back before that request and `second` asks `payload` at the very same nonce.
 */
async function reorgUnderAnswer(label: string, first: Wallet, second: Wallet, payload: string) {
  const chain = stack.chains[0]!
  const { functionId } = await stack.register(counter.functionCode(label), `reorg: ${label}`)
  const snapshot = await chain.anvil.snapshot()
  relayerRpc.setMode('refuse')
  const old = await stack.request(functionId, eth, { requester: first })
  const oldEnvelope = await stack.envelopeOf(old.requestId)
  expect(counter.runs(label, eth)).toBe(1)
  await chain.anvil.revert(snapshot)
  const replacement = await stack.request(functionId, payload, { requester: second })
  expect(replacement.nonce).toBe(old.nonce)
  return { old, oldEnvelope, replacement }
}

/** Lets the held deliveries go and checks that only the replacement's answer landed, in one transaction. */
async function releaseDeliveries(
  label: string,
  old: { requestId: string },
  replacement: { requestId: string; payload: string },
  transactionsBefore: number,
) {
  const chain = stack.chains[0]!
  relayerRpc.setMode('forward')
  const refused = await settledJob(chain.deliveries, stack.jobIdOf(old.requestId))
  expect(refused.failedReason).toMatch(/rejected the envelope: UnknownRequest/)
  const answered = await settledJob(chain.deliveries, stack.jobIdOf(replacement.requestId))
  expect(answered.returnvalue).toMatchObject({ outcome: 'fulfilled' })
  // The consumer took the replacement's own answer, signed by the worker.
  expect(textOf(answered.data.envelope.result)).toBe(`${label} answered ${replacement.payload}`)
  const [fulfilment, ...more] = await fulfilmentsOf(chain, replacement.requestId)
  expect(more).toEqual([])
  expect(fulfilment).toMatchObject({
    worker: stack.worker.evmAddress,
    resultHash: keccak256(answered.data.envelope.result),
  })
  expect(await submitterTransactions(chain)).toBe(transactionsBefore + 1)
  // The old answer's refusal is final: no re-run of the old request.
  expect(await stack.requests.getJob(`${stack.jobIdOf(old.requestId)}-r1`)).toBeUndefined()
}

describe('a request a reorg replaced at the same nonce', () => {
  it('from the same requester with another payload: a new job runs it, and the old answer is refused for it', async () => {
    const chain = stack.chains[0]!
    const label = 'same-requester'
    const requester = chain.f.oracleOwner
    const transactionsBefore = await submitterTransactions(chain)
    const { old, oldEnvelope, replacement } = await reorgUnderAnswer(label, requester, requester, btc)
    expect(replacement.requestId).not.toBe(old.requestId)

    // A new job that runs on the new question (its own envelope, bound to the BTC payload).
    const fresh = await stack.envelopeOf(replacement.requestId)
    expect(fresh.payloadHash).toBe(keccak256(btc))
    expect(counter.runs(label, btc)).toBe(1)
    // The old answer, held by anyone: the consumer knows no such request now, and pointed at the new request
    // its payload is not the one asked.
    expect(await revertOf(fulfil(oldEnvelope))).toEqual({ name: 'UnknownRequest', args: [old.requestId] })
    expect(
      await revertOf(fulfil({ ...oldEnvelope, requestId: replacement.requestId as Envelope['requestId'] })),
    ).toEqual({
      name: 'PayloadMismatch',
      args: [replacement.requestId],
    })

    await releaseDeliveries(label, old, replacement, transactionsBefore)
    expect(counter.runs(label, eth)).toBe(1)
    expect(counter.runs(label, btc)).toBe(1)
  })

  it('from another requester with the same payload: a new job runs it, and the old answer is refused for it', async () => {
    const chain = stack.chains[0]!
    const label = 'other-requester'
    const transactionsBefore = await submitterTransactions(chain)
    const { old, oldEnvelope, replacement } = await reorgUnderAnswer(
      label,
      chain.f.oracleOwner,
      chain.f.stranger,
      eth,
    )
    expect(replacement.requestId).not.toBe(old.requestId)

    // The same question from someone else is another request: it runs again.
    const fresh = await stack.envelopeOf(replacement.requestId)
    expect(fresh.payloadHash).toBe(keccak256(eth))
    expect(counter.runs(label, eth)).toBe(2)
    expect(await revertOf(fulfil(oldEnvelope))).toEqual({ name: 'UnknownRequest', args: [old.requestId] })
    // Pointed at the new id, the payload matches but the worker signed the old id: not a worker's signature.
    const pointed = await revertOf(
      fulfil({ ...oldEnvelope, requestId: replacement.requestId as Envelope['requestId'] }),
    )
    expect(pointed.name).toBe('WorkerNotActive')
    expect(pointed.args[0]).not.toBe(stack.worker.evmAddress)

    await releaseDeliveries(label, old, replacement, transactionsBefore)
    expect(counter.runs(label, eth)).toBe(2)
  })
})

describe('a request a reorg removed', () => {
  /** Makes the worker (one job at a time) busy with a held run, then sends a request whose job has to wait. */
  async function waitingRequest(label: string) {
    const chain = stack.chains[0]!
    const { functionId: busyFunction } = await stack.register(
      counter.functionCode(`${label}-busy`),
      `${label} busy`,
    )
    const { functionId } = await stack.register(counter.functionCode(label), label)
    counter.hold(`${label}-busy`)
    const busy = await stack.request(busyFunction, eth)
    await counter.waitForRuns(`${label}-busy`)
    const doomed = await stack.request(functionId, btc)
    const jobId = stack.jobIdOf(doomed.requestId)
    const job = await until('its job to wait', async () =>
      (await stack.requests.getJobState(jobId)) === 'waiting'
        ? await stack.requests.getJob(jobId)
        : undefined,
    )
    const release = async () => {
      counter.release(`${label}-busy`)
      expect((await settledJob(chain.deliveries, stack.jobIdOf(busy.requestId))).returnvalue).toMatchObject({
        outcome: 'fulfilled',
      })
    }
    return { doomed, jobId, job, release }
  }

  it('has its waiting job cancelled when the node announces its log as removed', async () => {
    const chain = stack.chains[0]!
    const label = 'removed-announced'
    const { doomed, jobId, release } = await waitingRequest(label)
    // A real reorg on anvil drops the request's block; the node (our proxy, as geth does) says so.
    await chain.anvil.rpc('anvil_reorg', [1, []])
    expect((await chain.consumer.requestInfo(doomed.requestId)).state).toBe(0n) // None: gone from the chain
    expect(relayerWs.announceRemoved({ fromBlock: doomed.receipt.blockNumber })).toBe(1)
    await until(
      'the job to be cancelled',
      async () => (await stack.requests.getJob(jobId)) === undefined,
      15_000,
    )

    await release()
    expect(counter.runs(label)).toBe(0)
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined()
  })

  it('is refused unsigned (REQUEST_NOT_ON_CHAIN) when its job runs anyway', async () => {
    const chain = stack.chains[0]!
    const label = 'removed-silently'
    const { doomed, jobId, release } = await waitingRequest(label)
    // anvil announces no removed logs: the watcher never learns, and the job stays queued.
    await chain.anvil.rpc('anvil_reorg', [1, []])
    expect((await chain.consumer.requestInfo(doomed.requestId)).state).toBe(0n)

    await release()
    const refused = await settledJob(stack.requests, jobId)
    expect(await refused.getState()).toBe('failed')
    expect(refused.failedReason).toMatch(/has no request/)
    expect(refused.attemptsMade).toBe(1) // final at once, not retried
    expect(counter.runs(label)).toBe(0)
    expect(await chain.deliveries.getJob(jobId)).toBeUndefined()
  })
})
