import { hexlify, keccak256, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { computeEvmRequestId } from '../../runtime/chain/evm/computeEvmRequestId.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack 2 of the trust issue: whoever writes the node's Redis queues a job with a real pending requestId and an
// invented payload, hoping the worker signs an answer to a question nobody asked. The worker reads the request
// again from the chain: the invented payload never reaches the function, and a job for no request signs nothing.

let stack: TeefnStack
const echo = 'export default (request) => "answered " + request'

beforeAll(async () => {
  stack = await startTeefnStack()
})
afterAll(() => stack?.close())

const eth = hexlify(toUtf8Bytes('ETH/USD'))
const btc = hexlify(toUtf8Bytes('BTC/USD'))
const answerOf = (envelopeResult: string) => Buffer.from(envelopeResult.slice(2), 'hex').toString()

describe('a job forged in Redis', () => {
  it('is answered with the payload the chain holds, never the invented one', async () => {
    const { functionId } = await stack.register(echo, 'forged payload')
    const chain = stack.chains[0]!
    const requester = chain.f.oracleOwner
    // Request ids are predictable, so the operator gets in first: a job for the request about to be sent, with
    // another payload and requester, under the very job id the watcher will use (its job then adds nothing).
    const requestId = computeEvmRequestId({
      chainId: BigInt(chain.anvil.chainId),
      consumer: chain.consumerAddress,
      nonce: await chain.consumer.requestCount(),
      requester: requester.address,
      functionId,
      payloadHash: keccak256(eth),
    })
    const forged: RequestJobData = {
      trigger: 'evm',
      chainId: String(chain.anvil.chainId),
      destination: chain.consumerAddress,
      requestId,
      functionId,
      request: btc,
      sender: chain.f.stranger.address,
      seenAt: Date.now(),
      origin: { blockNumber: (await chain.f.provider.getBlockNumber()) + 1 },
    }
    const job = await stack.requests.add('request', forged, { jobId: stack.jobIdOf(requestId) })
    const sent = await stack.request(functionId, eth, { requester })
    expect(sent.requestId).toBe(requestId)

    const envelope = await stack.envelopeOf(requestId)
    expect((await stack.requests.getJob(job.id!))?.data.request).toBe(btc) // the job that ran was the forged one
    expect(envelope.payloadHash).toBe(keccak256(eth))
    expect(answerOf(envelope.result)).toBe(`answered ${eth}`)
  })

  it('signs nothing for a request id the chain never issued', async () => {
    const { functionId } = await stack.register(echo, 'invented request')
    const chain = stack.chains[0]!
    const sent = await stack.request(functionId, eth)
    const invented = keccak256(toUtf8Bytes('a request nobody made')) as Hex
    const forged: RequestJobData = {
      trigger: 'evm',
      chainId: String(chain.anvil.chainId),
      destination: chain.consumerAddress,
      requestId: invented,
      functionId,
      request: btc,
      seenAt: Date.now(),
      origin: { blockNumber: sent.receipt.blockNumber },
    }
    const job = await stack.requests.add('request', forged, { jobId: stack.jobIdOf(invented) })
    for (let i = 0; i < 200 && !(await job.isFailed()); i++) await new Promise((r) => setTimeout(r, 50))
    const failed = await stack.requests.getJob(job.id!)
    expect(failed?.failedReason).toMatch(/has no request/)
    expect(failed?.attemptsMade).toBe(1)
    expect(await chain.deliveries.getJob(stack.jobIdOf(invented))).toBeUndefined()
    // The real request next to it is answered as usual.
    expect(answerOf((await stack.envelopeOf(sent.requestId)).result)).toBe(`answered ${eth}`)
  })
})
