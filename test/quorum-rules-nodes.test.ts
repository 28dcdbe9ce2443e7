import { setTimeout as sleep } from 'node:timers/promises'
import { AbiCoder, toUtf8String } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGGREGATIONS } from '../contracts/quorumFulfillment.js'
import type { Hex } from '../runtime/bytes.js'
import { statusCode } from '../runtime/resultStatus.js'
import { quorumConsumerRequests } from './support/quorumConsumerRequests.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { type QuorumNodes, startQuorumNodes } from './support/startQuorumNodes.js'
import {
  deployTestConsumer,
  type TeefnContractsFixture,
  type TestConsumerContract,
} from './support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from './support/useTeefnChain.js'

// The quorum rules beyond "identical", through three independent `teefn node` processes (docs/protocol.md,
// sections 3 and 6): a median of the values the nodes' own price sources give, and a failure k workers agree on.

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

const failoverDelayMs = 2_500
const settleMs = 1_500
let quorum: QuorumNodes
let consumer: TestConsumerContract
let requests: ReturnType<typeof quorumConsumerRequests>
const request = (functionId: Hex) => requests.request(functionId)
const fulfilment = (requestId: string, timeoutMs = 40_000) => requests.fulfilment(requestId, timeoutMs)
const fulfilTransactions = (fromBlock: number) => requests.fulfilTransactions(fromBlock)
let priceServer: StartHttpServerReturnType
const abi = AbiCoder.defaultAbiCoder()

// Each node reads its own source (the owner's per-node secret) and answers the price as an ABI uint256.
const medianFunction = `export default async function main(request, secrets) {
  const response = await fetch(secrets.PRICE_URL)
  const price = BigInt((await response.text()).trim())
  return '0x' + price.toString(16).padStart(64, '0')
}`
const failingFunction = `export default async function main() {
  throw new Error('the price feed is closed')
}`

beforeAll(async () => {
  priceServer = await startHttpServer((request, response) => {
    const answers: Record<string, string> = { '/low': '2990', '/mid': '3001', '/high': '3020' }
    response.end(answers[request.url ?? ''] ?? '')
  })
  consumer = await deployTestConsumer(f.admin, { registry: String(f.registry.target), requestTimeout: 60 })
  requests = quorumConsumerRequests({ f, consumer, nodes: () => quorum.nodes })
  quorum = await startQuorumNodes({ anvil, f, failoverDelayMs, settleMs })
}, 120_000)

afterAll(async () => {
  await quorum?.close()
  await priceServer?.close()
})

const workers = () => quorum.nodes.map((node) => node.worker.evmAddress).sort()

describe('quorum rules between three teefn node processes', () => {
  it('median-uint256, k = 3: three different prices, the consumer receives their median, in one transaction', async () => {
    const functionId = await quorum.register(medianFunction, 'median', {
      threshold: 3,
      aggregation: AGGREGATIONS.indexOf('MedianUint256'),
    })
    await quorum.putSecrets(
      functionId,
      ['/high', '/low', '/mid'].map((path) => ({ PRICE_URL: `${priceServer.url}${path}` })),
    )
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    expect(done.fulfilled?.status).toBe(0n)
    expect([...done.signers!].sort()).toEqual(workers())
    expect(await consumer.lastStatus()).toBe(0n)
    expect(abi.decode(['uint256'], await consumer.lastResult())[0]).toBe(3001n)
    // Every node's turn came and went: one transaction in all.
    await sleep(2 * failoverDelayMs + settleMs + 1_000)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 1, fulfilled: 1 })
  }, 90_000)

  it('median-uint256, k = 2: the consumer receives the (lower) median of the values submitted, whichever they are', async () => {
    const functionId = await quorum.register(medianFunction, 'median two', {
      threshold: 2,
      aggregation: AGGREGATIONS.indexOf('MedianUint256'),
    })
    const prices = { '/low': 2990n, '/mid': 3001n, '/high': 3020n }
    const paths = ['/mid', '/high', '/low'] as const
    await quorum.putSecrets(
      functionId,
      paths.map((path) => ({ PRICE_URL: `${priceServer.url}${path}` })),
    )
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    expect(done.fulfilled?.status).toBe(0n)
    // Each signer's value is its node's source; every value submitted joins the median group.
    const priceOf = new Map<string, bigint>(
      quorum.nodes.map((node, i) => [node.worker.evmAddress, prices[paths[i]!]]),
    )
    const values = done.signers!.map((signer) => priceOf.get(signer)!).sort((x, y) => (x < y ? -1 : 1))
    expect(values.length).toBeGreaterThanOrEqual(2)
    expect(abi.decode(['uint256'], await consumer.lastResult())[0]).toBe(values[(values.length - 1) >> 1])
    await sleep(2 * failoverDelayMs + settleMs + 1_000)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 1, fulfilled: 1 })
  }, 90_000)

  it('a function that throws on every node: k = 2 workers agree on the failure, the consumer records it once', async () => {
    const functionId = await quorum.register(failingFunction, 'failing', { threshold: 2 })
    const hookCallsBefore = await consumer.hookCalls()
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    const failure = BigInt(statusCode('FUNCTION_ERROR'))
    expect(done.fulfilled?.status).toBe(failure)
    expect(done.signers!.length).toBeGreaterThanOrEqual(2)
    for (const signer of done.signers!) expect(workers()).toContain(signer)
    expect(await consumer.getFunction('isPending')(sent.requestId)).toBe(false)
    // TestConsumer's hook records a failure like any answer: the status and the error message.
    expect(await consumer.hookCalls()).toBe(hookCallsBefore + 1n)
    expect(await consumer.lastRequestId()).toBe(sent.requestId)
    expect(await consumer.lastStatus()).toBe(failure)
    expect(toUtf8String(await consumer.lastResult())).toContain('the price feed is closed')
    await sleep(2 * failoverDelayMs + settleMs + 1_000)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 1, fulfilled: 1 })
  }, 90_000)
})
