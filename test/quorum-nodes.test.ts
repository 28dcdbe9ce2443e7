import { setTimeout as sleep } from 'node:timers/promises'
import { keccak256, Transaction, toUtf8String } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { submitterRank } from '../relayer/shared/submitterRank.js'
import type { Hex } from '../runtime/bytes.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import { openDeliveryQueue } from '../runtime/queue/queues.js'
import { quorumConsumerRequests } from './support/quorumConsumerRequests.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { type LyingRpcProxy, startLyingRpcProxy } from './support/startLyingRpcProxy.js'
import { type QuorumNodes, startQuorumNodes } from './support/startQuorumNodes.js'
import {
  deployTestConsumer,
  type TeefnContractsFixture,
  type TestConsumerContract,
} from './support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from './support/useTeefnChain.js'

// Result quorums between independent `teefn node` processes (docs/protocol.md, section 6): each node has its own
// redis-server, worker key and submitter, its peers the others' APIs, and nothing else in common but anvil. The
// function reads its price source from the owner's per-node secret PRICE_URL, so a node fed a manipulated source
// is modelled as the owner (or an attacker) would: by that node's configuration alone.

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

const requestTimeout = 30
const failoverDelayMs = 2_500
const settleMs = 1_500
let quorum: QuorumNodes
/** Each node's JSON-RPC endpoint: a proxy in front of anvil that can catch a node mid-transaction. */
const rpcProxies: LyingRpcProxy[] = []
let consumer: TestConsumerContract
let consumerAddress: string
let requests: ReturnType<typeof quorumConsumerRequests>
const request = (functionId: Hex) => requests.request(functionId)
const fulfilment = (requestId: string, timeoutMs?: number) => requests.fulfilment(requestId, timeoutMs)
const fulfilTransactions = (fromBlock: number) => requests.fulfilTransactions(fromBlock)
let prices: StartHttpServerReturnType
const priceFunction = `export default async function main(request, secrets) {
  const response = await fetch(secrets.PRICE_URL)
  return (await response.text()).trim()
}`

beforeAll(async () => {
  prices = await startHttpServer((request, response) => {
    const answers: Record<string, string> = { '/honest': '3001', '/pumped': '9999', '/dumped': '1' }
    response.end(answers[request.url ?? ''] ?? '')
  })
  consumer = await deployTestConsumer(f.admin, { registry: String(f.registry.target), requestTimeout })
  consumerAddress = await consumer.getAddress()
  requests = quorumConsumerRequests({ f, consumer, nodes: () => quorum.nodes })
  for (let index = 0; index < 3; index++) rpcProxies.push(await startLyingRpcProxy(anvil.rpcUrl))
  quorum = await startQuorumNodes({
    anvil,
    f,
    failoverDelayMs,
    settleMs,
    rpcUrlOf: (index) => rpcProxies[index]!.url,
  })
}, 120_000)

afterAll(async () => {
  await quorum?.close()
  for (const proxy of rpcProxies) await proxy.close()
  await prices?.close()
})

/** A function under `policy` whose nodes A, B, C read their price from these paths. */
async function priceFunctionWith(label: string, threshold: number, paths: [string, string, string]) {
  const functionId = await quorum.register(priceFunction, label, { threshold })
  await quorum.putSecrets(
    functionId,
    paths.map((path) => ({ PRICE_URL: `${prices.url}${path}` })),
  )
  return functionId
}

const isPending = (requestId: string): Promise<boolean> => consumer.getFunction('isPending')(requestId)
const deliveredText = async () => toUtf8String(await consumer.lastResult())
const latencies: Record<string, number> = {}

describe('result quorums between three teefn node processes', () => {
  it('single worker (k = 1), for the latency comparison', async () => {
    const functionId = await priceFunctionWith('single', 1, ['/honest', '/honest', '/honest'])
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    latencies.single = done.at - sent.at
    expect(done.signers).toBeUndefined() // a plain fulfill
    expect(await deliveredText()).toBe('3001')
  }, 60_000)

  it('(a) 2-of-3 identical: fulfilled once, with the agreeing signatures', async () => {
    const functionId = await priceFunctionWith('agree', 2, ['/honest', '/honest', '/honest'])
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    latencies.quorum = done.at - sent.at
    expect(done.signers!.length).toBeGreaterThanOrEqual(2)
    const workers = quorum.nodes.map((node) => node.worker.evmAddress)
    for (const signer of done.signers!) expect(workers).toContain(signer)
    expect(done.dissenters).toBeUndefined()
    expect(await deliveredText()).toBe('3001')
    // Every node had its turn come and go: one transaction in all.
    await sleep(2 * failoverDelayMs + settleMs + 1_000)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 1, fulfilled: 1 })
    process.stdout.write(
      `latency: single worker ${latencies.single} ms, 2-of-3 quorum ${latencies.quorum} ms\n`,
    )
  }, 60_000)

  it('(b) node C fed a manipulated price is outvoted and named as the dissenter', async () => {
    const functionId = await priceFunctionWith('outvoted', 2, ['/honest', '/honest', '/pumped'])
    const sent = await request(functionId)
    const done = await fulfilment(sent.requestId)
    expect(await deliveredText()).toBe('3001')
    expect(done.signers).toHaveLength(2)
    expect(done.signers).not.toContain(quorum.nodes[2]!.worker.evmAddress)
    // C's answer reached the submitter before it sent (it waits for late answers), so the event names C.
    expect(done.dissenters).toEqual([quorum.nodes[2]!.worker.evmAddress])
  }, 60_000)

  it('(c) no two nodes agree: nothing is delivered, the request stays pending, then expires', async () => {
    const functionId = await priceFunctionWith('split', 2, ['/honest', '/pumped', '/dumped'])
    const before = await deliveredText()
    const sent = await request(functionId)
    // Long enough for every node to run, exchange and tally.
    await sleep(6_000)
    expect(await isPending(sent.requestId)).toBe(true)
    // Each node holds all three answers, exchanged over the API, and still sends nothing.
    for (const node of quorum.nodes) {
      const url = `${node.apiUrl}/v1/envelopes?chainId=${anvil.chainId}&consumer=${consumerAddress}&requestId=${sent.requestId}`
      const { envelopes } = (await (await fetch(url)).json()) as { envelopes: unknown[] }
      expect(envelopes).toHaveLength(3)
    }
    const { timestamp } = (await f.provider.getBlock('latest'))!
    const info = await consumer.getFunction('requestInfo')(sent.requestId)
    await sleep((Number(info.deadline) - timestamp + 2) * 1000)
    await f.provider.send('evm_mine', []) // a block past the deadline
    expect(await isPending(sent.requestId)).toBe(false)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 0, fulfilled: 0 })
    expect(await deliveredText()).toBe(before)
    // Every node's delivery gives up for good once the deadline passed, saying so.
    for (const node of quorum.nodes) {
      const deliveries = openDeliveryQueue(node.connection, { family: 'evm', chainId: String(anvil.chainId) })
      const jobId = requestJobId({
        trigger: 'evm',
        chainId: String(anvil.chainId),
        destination: consumerAddress as Hex,
        requestId: sent.requestId as Hex,
      })
      const until = Date.now() + 15_000
      let job = await deliveries.getJob(jobId)
      while ((await job?.getState()) !== 'failed' && Date.now() < until) {
        await sleep(200)
        job = await deliveries.getJob(jobId)
      }
      expect(await job?.getState()).toBe('failed')
      expect(job?.failedReason).toContain('past its deadline')
      await deliveries.close()
    }
  }, 120_000)

  it('(d) the submitting node is killed mid-submission: the next one submits after the failover delay', async () => {
    const functionId = await priceFunctionWith('failover', 2, ['/honest', '/honest', '/honest'])
    // The request's id is known before it is sent, so the node ranked first is known too.
    const requestId = await consumer.computeRequestId(
      await consumer.requestCount(),
      f.oracleOwner.address,
      functionId,
      keccak256('0x'),
    )
    const workers = quorum.nodes.map((node) => node.worker.evmAddress)
    const ranks = workers.map((worker) => submitterRank(requestId, worker, workers))
    const first = ranks.indexOf(0)
    const second = quorum.nodes[ranks.indexOf(1)]!
    // The first node's fulfilment transaction never reaches anvil: its process is killed as it sends it.
    let killedAt = 0
    rpcProxies[first]!.hold(
      ({ method, params }) =>
        method === 'eth_sendRawTransaction' &&
        Transaction.from(params[0] as string).to?.toLowerCase() === consumerAddress.toLowerCase(),
      async () => {
        await quorum.nodes[first]!.process.kill()
        killedAt = Date.now()
      },
    )
    const sent = await request(functionId)
    expect(sent.requestId).toBe(requestId)
    const done = await fulfilment(sent.requestId)
    expect(killedAt).toBeGreaterThan(0)
    expect(done.from).toBe(second.submitter)
    expect(done.at - killedAt).toBeGreaterThanOrEqual(failoverDelayMs - settleMs - 500)
    expect(await deliveredText()).toBe('3001')
    await sleep(failoverDelayMs + settleMs + 1_000)
    expect(await fulfilTransactions(sent.block)).toEqual({ transactions: 1, fulfilled: 1 })
  }, 60_000)
})
