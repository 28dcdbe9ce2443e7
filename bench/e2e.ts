/**
 * `npm run bench:e2e`: the whole EVM loop under load. anvil (automine) + redis-server + a teefn node as
 * production composes it (`startNode`): the relayer (watcher and submitter) in this process and the TEE worker
 * (dev provider, sandbox pool of 2 threads) in its own, as in production. First BENCH_PACED_REQUESTS (50) requests
 * at BENCH_PACED_RATE (20/s) measure the pipeline's latency without a queue; then BENCH_REQUESTS (500)
 * pre-signed `requestPrice` transactions are sent as fast as anvil takes them. The function is `priceFeed`
 * (median of three local sources, in their own process) or, with BENCH_FUNCTION=constant, a fixed answer without
 * fetching. Prints one JSON object.
 *
 * Latency is request mined -> fulfilment mined, both as observed by one WebSocket log subscription in this
 * process (the time each `RequestSent` and `RequestFulfilled` log arrived): block timestamps have 1 s
 * resolution. Throughput is fulfilled / (last fulfilment seen - first request seen). Lost and doubled are
 * counted from `getLogs` over the run's blocks, not from the subscription. CPU per request is read from
 * /proc for every process, since this 2-core machine is shared and wall-clock numbers move with its load.
 *
 * Knobs: BENCH_WORKER_PROCESS=0 (worker in this process), BENCH_THREADS, BENCH_WORKER_CONCURRENCY,
 * BENCH_MAX_IN_FLIGHT, BENCH_MAX_BATCH, BENCH_BATCH_WINDOW_MS (submitter), BENCH_SEND_CONCURRENCY.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hexlify, keccak256, toUtf8Bytes, Wallet } from 'ethers'
import type { NodeConfig, NodeRole } from '../cli/node/nodeConfigSchema.js'
import { startNode } from '../cli/node/startNode.js'
import { startAnvil } from '../dev/startAnvil.js'
import { startRedisServer } from '../dev/startRedisServer.js'
import { connectEvmHttp } from '../relayer/evm/connectEvm.js'
import { createRpcClient } from '../runtime/chain/evm/createRpcClient.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { loadExampleFunction } from '../test/support/loadExampleFunction.js'
import { startNodeProcess } from '../test/support/startNodeProcess.js'
import { mined } from '../test/support/teefnContracts.js'
import { cpuMsOf, deployOracleFixture, startPriceSources, waitUntil } from './e2eSupport.js'
import { type Later, percentile, round, runBenchmark, subscribeLogs } from './support.js'

const optionalNumber = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)
const settings = {
  requests: Number(process.env.BENCH_REQUESTS ?? 500),
  threads: Number(process.env.BENCH_THREADS ?? 2),
  workerConcurrency: Number(
    process.env.BENCH_WORKER_CONCURRENCY ?? 2 * Number(process.env.BENCH_THREADS ?? 2),
  ),
  sendConcurrency: Number(process.env.BENCH_SEND_CONCURRENCY ?? 8),
  batching: {
    maxInFlight: optionalNumber('BENCH_MAX_IN_FLIGHT'),
    maxBatchSize: optionalNumber('BENCH_MAX_BATCH'),
    batchWindowMs: optionalNumber('BENCH_BATCH_WINDOW_MS'),
  },
  deadlineMs: Number(process.env.BENCH_DEADLINE_MS ?? 120_000),
  pacedRequests: Number(process.env.BENCH_PACED_REQUESTS ?? 50),
  pacedRate: Number(process.env.BENCH_PACED_RATE ?? 20),
  workerInProcess: process.env.BENCH_WORKER_PROCESS === '0',
  // `priceFeed` (default): the example function, median of three local sources (three fetches per request).
  // `constant`: answers a fixed price without fetching, to measure the platform without the function's cost.
  scenario: process.env.BENCH_FUNCTION === 'constant' ? ('constant' as const) : ('priceFeed' as const),
}
const logger = createLogger({ name: 'bench-e2e', level: process.env.TEEFN_LOG_LEVEL ?? 'silent' })
await runBenchmark(run)

async function run(later: Later): Promise<Record<string, unknown>> {
  const loadBefore = loadavg()
  const anvil = later(await startAnvil(), (started) => started.stop())
  const redisServer = later(await startRedisServer(), (started) => started.stop())
  const dir = later(await mkdtemp(join(tmpdir(), 'teefn-bench-e2e-')), (path) =>
    rm(path, { recursive: true, force: true }),
  )
  const connection = later(createRedisConnection({ url: redisServer.url }), (redis) => redis.disconnect())
  const http = later(connectEvmHttp({ url: anvil.rpcUrl, chainId: anvil.chainId }), (provider) =>
    provider.destroy(),
  )
  // The price sources stand for remote APIs: their own process, so their CPU is not the relayer's.
  const sources = later(await startPriceSources(), (started) => started.close())
  const [admin, functionOwner, oracleOwner] = anvil.privateKeys.map((key) => new Wallet(key, http)) as [
    Wallet,
    Wallet,
    Wallet,
  ]

  // The function, the contracts and the worker's identity (admitted before the node starts).
  const functionId = keccak256(toUtf8Bytes('teefn.bench.price'))
  const bundle =
    settings.scenario === 'constant'
      ? { code: `export default () => '0x${300_100_000_000n.toString(16).padStart(64, '0')}'` }
      : await loadExampleFunction(new URL('../functions/priceFeed/index.ts', import.meta.url).href)
  const { keyFile, registry, oracle, oracleAddress } = await deployOracleFixture({
    connection,
    http,
    admin,
    functionOwner,
    oracleOwner,
    functionId,
    code: bundle.code,
    dir,
  })

  // The node: the relayer here, the worker in its own process (BENCH_WORKER_PROCESS=0: here too).
  const config: NodeConfig = {
    redisUrl: redisServer.url,
    tee: { provider: 'dev', devKeyFile: keyFile },
    worker: {
      threads: settings.threads,
      concurrency: settings.workerConcurrency,
      allowHosts: [`127.0.0.1:${sources.port}`],
    },
    evm: [
      {
        chainId: anvil.chainId,
        rpcUrl: anvil.rpcUrl,
        wsUrl: anvil.wsUrl,
        rpcQuorum: 1,
        confirmations: 0,
        registry: String(registry.target),
        consumers: [oracleAddress],
        submitterKey: 'env:TEEFN_BENCH_SUBMITTER_KEY',
        batching: withoutUndefined(settings.batching),
      },
    ],
  }
  const env = { ...process.env, TEEFN_BENCH_SUBMITTER_KEY: anvil.privateKeys[3]! }
  const roles: NodeRole[] = settings.workerInProcess ? ['relayer', 'worker'] : ['relayer']
  const node = later(await startNode({ config, roles, env, logger }), (started) => started.close())
  const workerProcess = settings.workerInProcess
    ? undefined
    : later(await startNodeProcess({ config, roles: ['worker'] }, { env }), (started) => started.stop())
  const relayer = node.evm[0]!

  // The observer: one subscription for both events, timestamps taken on arrival.
  const requestedAt = new Map<string, number>()
  const fulfilledAt = new Map<string, number>()
  const sentTopic = oracle.interface.getEvent('RequestSent')!.topicHash
  const fulfilledTopic = oracle.interface.getEvent('RequestFulfilled')!.topicHash
  later(
    await subscribeLogs(
      anvil.wsUrl,
      { address: oracleAddress, topics: [[sentTopic, fulfilledTopic]] },
      (log) => {
        const at = performance.now()
        const requestId = log.topics[1]!
        if (log.topics[0] === sentTopic) requestedAt.set(requestId, at)
        else if (!fulfilledAt.has(requestId)) fulfilledAt.set(requestId, at)
      },
    ),
    (observer) => observer.close(),
  )

  // Warm-up (not measured): the first sandbox, compile caches, connections.
  const payload = hexlify(
    toUtf8Bytes(
      JSON.stringify({
        sources: ['/a', '/b', '/c'].map((path) => ({ url: `${sources.url}${path}`, path: 'price' })),
      }),
    ),
  )
  const requestGas = await oracle.connect(oracleOwner).requestPrice.estimateGas(payload)
  for (let i = 0; i < 5; i++) await mined(oracle.connect(oracleOwner).requestPrice(payload))
  await waitUntil(() => fulfilledAt.size >= 5 && requestedAt.size >= 5, 30_000)
  requestedAt.clear()
  fulfilledAt.clear()

  // Pre-signed requests with consecutive nonces, sent with `sendConcurrency` in flight.
  const fees = await http.getFeeData()
  const firstNonce = await http.getTransactionCount(oracleOwner.address, 'pending')
  const signer = new Wallet(anvil.privateKeys[2]!)
  const data = oracle.interface.encodeFunctionData('requestPrice', [payload])
  const raw = await Promise.all(
    Array.from({ length: settings.pacedRequests + settings.requests }, (_, i) =>
      signer.signTransaction({
        type: 2,
        chainId: anvil.chainId,
        nonce: firstNonce + i,
        to: oracleAddress,
        data,
        gasLimit: (requestGas * 12n) / 10n,
        // Fees fall block by block under automine; 4x today's covers the run.
        maxFeePerGas: fees.maxFeePerGas! * 4n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
      }),
    ),
  )
  // The load generator's own lean client, so its overhead does not weigh on the relayer in the same process.
  const loadRpc = later(createRpcClient({ url: anvil.rpcUrl, maxSockets: settings.sendConcurrency }), (rpc) =>
    rpc.close(),
  )

  // Paced first: the latency of the pipeline itself, without a queue in front of it.
  for (const tx of raw.splice(0, settings.pacedRequests)) {
    await loadRpc.request('eth_sendRawTransaction', [tx])
    await sleep(1000 / settings.pacedRate)
  }
  await waitUntil(() => fulfilledAt.size >= settings.pacedRequests, 30_000)
  const pacedLatencies = [...requestedAt].flatMap(([requestId, at]) =>
    fulfilledAt.has(requestId) ? [fulfilledAt.get(requestId)! - at] : [],
  )
  requestedAt.clear()
  fulfilledAt.clear()

  // Then the burst: every request as fast as anvil takes them.
  const firstBlock = (await http.getBlockNumber()) + 1
  const cpu = () => ({
    node: process.cpuUsage(),
    anvil: cpuMsOf(anvil.pid),
    redis: cpuMsOf(redisServer.pid),
    sources: cpuMsOf(sources.pid),
    worker: workerProcess ? cpuMsOf(workerProcess.pid) : 0,
  })
  const cpuBefore = cpu()
  const sendStarted = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: settings.sendConcurrency }, async () => {
      while (next < raw.length) await loadRpc.request('eth_sendRawTransaction', [raw[next++]!])
    }),
  )
  const sendMs = performance.now() - sendStarted
  const complete = await waitUntil(
    () => fulfilledAt.size >= settings.requests && requestedAt.size >= settings.requests,
    settings.deadlineMs,
  )
  const cpuAfter = { ...cpu(), node: process.cpuUsage(cpuBefore.node) }
  const lastBlock = await http.getBlockNumber()

  // The chain's account: every request of the run and every fulfilment of it.
  const logsOf = (topic: string) =>
    http.getLogs({ address: oracleAddress, topics: [topic], fromBlock: firstBlock, toBlock: lastBlock })
  const runRequests = (await logsOf(sentTopic)).map((log) => log.topics[1]!)
  const fulfilmentsOf = new Map<string, number>()
  for (const log of await logsOf(fulfilledTopic)) {
    fulfilmentsOf.set(log.topics[1]!, (fulfilmentsOf.get(log.topics[1]!) ?? 0) + 1)
  }
  const latencies = runRequests
    .filter((requestId) => requestedAt.has(requestId) && fulfilledAt.has(requestId))
    .map((requestId) => fulfilledAt.get(requestId)! - requestedAt.get(requestId)!)
  const firstSeen = Math.min(
    ...runRequests.map((requestId) => requestedAt.get(requestId) ?? Number.POSITIVE_INFINITY),
  )
  const lastFulfilled = Math.max(...runRequests.map((requestId) => fulfilledAt.get(requestId) ?? 0))
  const submitterStats = relayer.submitter!.stats()
  const perRequest = (ms: number) => round(ms / settings.requests, 2)

  return {
    benchmark: 'e2e-evm',
    function: settings.scenario,
    node: process.version,
    cores: availableParallelism(),
    requests: runRequests.length,
    latency_p50_ms: round(percentile(latencies, 50)),
    latency_p99_ms: round(percentile(latencies, 99)),
    latency_max_ms: round(Math.max(...latencies)),
    fulfilled_per_s: round((fulfilmentsOf.size / (lastFulfilled - firstSeen)) * 1000),
    lost: runRequests.filter((requestId) => !fulfilmentsOf.has(requestId)).length,
    doubled: [...fulfilmentsOf.values()].filter((count) => count > 1).length,
    complete,
    paced: {
      requests: pacedLatencies.length,
      rate_per_s: settings.pacedRate,
      latency_p50_ms: round(percentile(pacedLatencies, 50)),
      latency_p99_ms: round(percentile(pacedLatencies, 99)),
    },
    send_ms: round(sendMs),
    requests_per_s_sent: round((settings.requests / sendMs) * 1000),
    fulfil_transactions: submitterStats.transactions,
    fulfil_batches: submitterStats.batches,
    envelopes_per_transaction: round(submitterStats.fulfilled / Math.max(1, submitterStats.transactions), 2),
    cpu_ms_per_request: {
      worker_process: workerProcess ? perRequest(cpuAfter.worker - cpuBefore.worker) : undefined,
      node: perRequest((cpuAfter.node.user + cpuAfter.node.system) / 1000),
      anvil: perRequest(cpuAfter.anvil - cpuBefore.anvil),
      redis: perRequest(cpuAfter.redis - cpuBefore.redis),
      price_sources: perRequest(cpuAfter.sources - cpuBefore.sources),
    },
    submitter: submitterStats,
    watcher: relayer.watcher!.stats(),
    config: {
      threads: settings.threads,
      workerConcurrency: settings.workerConcurrency,
      workerProcess: !settings.workerInProcess,
      sendConcurrency: settings.sendConcurrency,
      ...relayer.submitter!.settings,
    },
    load_average_before: loadBefore.map((value) => round(value, 2)),
    load_average_after: loadavg().map((value) => round(value, 2)),
    notes:
      'paced = the same pipeline at a low request rate first (no queueing): its latency; ' +
      'cpu_ms_per_request: CPU time over the run / requests, per process (node = watcher + submitter + load generator, and the worker with its sandbox threads unless worker_process); ' +
      'latency = RequestSent log seen -> RequestFulfilled log seen, on one WebSocket subscription in the bench process ' +
      '(which also runs watcher and submitter); fulfilled_per_s = fulfilled / (last fulfilment seen - first request seen); ' +
      'lost/doubled from getLogs over the run blocks; anvil automine: one block per transaction; ' +
      'load_average: os.loadavg() before and after (the machine is shared)',
  }
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>
}
