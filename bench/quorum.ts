/**
 * Issue 15's quorum benchmark: 100 price requests paced at 10/s on anvil through three `teefn node` processes
 * (admitted by 2-of-3 gatekeepers) under a 2-of-3 Identical policy, then 100 through the same nodes under a
 * policy-1 function, in the same run. Latency: request transaction mined (its receipt seen) -> `RequestFulfilled`
 * seen. `doubled` counts requests with more than one fulfilment event; `fulfil_transactions` the transactions the
 * nodes sent to the oracle, reverted ones too (a quorum is one per request: more means nodes sent the same quorum
 * twice; single deliveries are batched, so fewer). Adds the gas of `fulfillQuorum` for k = 1, 2, 3, 5. Prints one
 * JSON object. Run: `npm run bench:quorum` (`BENCH_SETTLE_MS`: the nodes' settle window).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PriceOracleContract } from '../contracts/contractTypes.js'
import { deployPriceFunction } from '../dev/quorum/deployPriceFunction.js'
import { requestPrice, type SentPriceRequest, waitForFulfilment } from '../dev/quorum/priceRequests.js'
import { type QuorumNetwork, startQuorumNetwork } from '../dev/quorum/startQuorumNetwork.js'
import { countFulfilTransactions } from '../test/support/countFulfilTransactions.js'
import { measureQuorumGas } from './quorumGasSupport.js'
import { percentile, round, runBenchmark } from './support.js'

const requests = Number(process.env.BENCH_REQUESTS ?? 100)
const perSecond = 10
const failoverDelayMs = 2_500
// The nodes' `quorum.settleMs` (the wait for late answers once k agree); their default, 300 ms, when unset.
const settleMs = process.env.BENCH_SETTLE_MS === undefined ? undefined : Number(process.env.BENCH_SETTLE_MS)

await runBenchmark(async (later) => {
  const prices = later(
    await new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer((_, response) => response.end('3001'))
      server.listen(0, '127.0.0.1', () => resolve(server))
    }),
    (server) => new Promise((resolve) => server.close(resolve)),
  )
  const priceUrl = `http://127.0.0.1:${(prices.address() as AddressInfo).port}/price`
  const network = later(await startQuorumNetwork({ failoverDelayMs, settleMs }), (started) => started.stop())
  const quorumFunction = await deployPriceFunction(network, { label: 'bench-quorum', threshold: 2 })
  const singleFunction = await deployPriceFunction(network, { label: 'bench-single', threshold: 1 })
  for (const fn of [quorumFunction, singleFunction]) await fn.putPriceUrls(network.nodes.map(() => priceUrl))
  // One request each first: the sandboxes and connections are warm before anything is timed.
  for (const fn of [quorumFunction, singleFunction]) {
    const sent = await requestPrice(network.provider, fn.oracle)
    await waitForFulfilment(network.provider, fn.oracle, sent)
  }
  const quorum = await pacedRun(network, quorumFunction.oracle)
  const single = await pacedRun(network, singleFunction.oracle)
  const gas = await measureQuorumGas()
  return {
    requests,
    rate_per_s: perSecond,
    quorum: '2-of-3',
    settle_ms: settleMs ?? 300,
    fulfilled: quorum.fulfilled,
    lost: quorum.lost,
    doubled: quorum.doubled,
    fulfil_transactions: quorum.transactions,
    latency_p50_ms: quorum.p50,
    latency_p99_ms: quorum.p99,
    single_fulfilled: single.fulfilled,
    single_lost: single.lost,
    single_doubled: single.doubled,
    single_fulfil_transactions: single.transactions,
    single_latency_p50_ms: single.p50,
    single_latency_p99_ms: single.p99,
    p50_ratio_quorum_to_single: round(quorum.p50 / single.p50, 2),
    fulfil_gas: {
      fulfill_single_k1: gas.fulfillSingleK1,
      fulfillQuorum_identical: gas.fulfillQuorumIdentical,
    },
  }
})

/** `requests` requests at `perSecond`, each sent without waiting for the others; fulfilments counted per request. */
async function pacedRun(network: QuorumNetwork, oracle: PriceOracleContract) {
  const { provider, owner } = network
  const address = await oracle.getAddress()
  const topic = oracle.interface.getEvent('RequestFulfilled')!.topicHash
  const fromBlock = await provider.getBlockNumber()
  let nonce = await provider.getTransactionCount(owner.address, 'pending')
  const sent: SentPriceRequest[] = []
  const firstSeen = new Map<string, number>()
  const events = new Map<string, Set<string>>()
  let watching = true
  const watcher = (async () => {
    while (watching) {
      const logs = await provider.getLogs({ address, topics: [topic], fromBlock })
      const now = Date.now()
      for (const log of logs) {
        const requestId = log.topics[1]!
        if (!firstSeen.has(requestId)) firstSeen.set(requestId, now)
        const seen = events.get(requestId) ?? new Set<string>()
        seen.add(`${log.transactionHash}:${log.index}`)
        events.set(requestId, seen)
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  })()
  const started = Date.now()
  const sending: Promise<void>[] = []
  for (let i = 0; i < requests; i++) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, started + (i * 1000) / perSecond - Date.now())),
    )
    const options = { nonce: nonce++ }
    sending.push(requestPrice(provider, oracle, options).then((request) => void sent.push(request)))
  }
  await Promise.all(sending)
  const until = Date.now() + 60_000
  while (Date.now() < until && sent.some((request) => !firstSeen.has(request.requestId))) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // Every node's turn comes and goes: a second fulfilment would show by now.
  await new Promise((resolve) => setTimeout(resolve, 2 * failoverDelayMs + 2_000))
  watching = false
  await watcher
  const latencies = sent
    .filter((request) => firstSeen.has(request.requestId))
    .map((request) => Math.max(0, firstSeen.get(request.requestId)! - request.minedAt))
  const fulfilled = latencies.length
  // What the nodes paid for, reverted transactions included: the contract refuses a second fulfilment, so only
  // this shows whether the submit order kept the nodes from sending the same quorum twice.
  let transactions = 0
  for (const node of network.nodes) {
    const count = await countFulfilTransactions({
      provider,
      destination: address,
      relayer: node.submitter,
      fromBlock,
    })
    transactions += count.transactions
  }
  return {
    fulfilled,
    transactions,
    lost: requests - fulfilled,
    doubled: sent.filter((request) => (events.get(request.requestId)?.size ?? 0) > 1).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}
