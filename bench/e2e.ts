/**
 * `npm run bench:e2e`: the whole EVM loop under load. anvil (automine) + redis-server + the TEE worker (dev
 * provider, sandbox pool of 2 threads, in its own process as in production) + the EVM watcher and submitter
 * (in this process), all real. First BENCH_PACED_REQUESTS (50) requests at BENCH_PACED_RATE (20/s) measure
 * the pipeline's latency without a queue; then BENCH_REQUESTS (500) pre-signed `requestPrice` transactions
 * are sent as fast as anvil takes them. The function is `priceFeed` (median of three local sources, in their
 * own process) or, with BENCH_FUNCTION=constant, a fixed answer without fetching. Prints one JSON object.
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
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hexlify, keccak256, toUtf8Bytes, Wallet } from 'ethers'
import { startAnvil } from '../cli/dev/startAnvil.js'
import { startRedisServer } from '../cli/dev/startRedisServer.js'
import { deployPriceOracle, deployRegistry } from '../contracts/artifacts.js'
import { connectEvmHttp } from '../relayer/evm/connectEvm.js'
import { startEvmSubmitter } from '../relayer/evm/startEvmSubmitter.js'
import { startEvmWatcher } from '../relayer/evm/startEvmWatcher.js'
import { createEvmChainReader } from '../runtime/chain/evm/createEvmChainReader.js'
import { createRpcClient } from '../runtime/chain/evm/createRpcClient.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { createRedisFunctionStore } from '../runtime/functions/createRedisFunctionStore.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { createSandboxPool } from '../runtime/sandbox/index.js'
import { startWorker } from '../runtime/worker/startWorker.js'
import { loadExampleFunction } from '../test/support/loadExampleFunction.js'
import { startWorkerProcess } from '../test/support/startWorkerProcess.js'
import { mined } from '../test/support/teefnContracts.js'
import { percentile, report, round, subscribeLogs } from './support.js'

const requests = Number(process.env.BENCH_REQUESTS ?? 500)
const threads = Number(process.env.BENCH_THREADS ?? 2)
const workerConcurrency = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2 * threads)
const sendConcurrency = Number(process.env.BENCH_SEND_CONCURRENCY ?? 8)
const optionalNumber = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)
const maxInFlight = optionalNumber('BENCH_MAX_IN_FLIGHT')
const maxBatchSize = optionalNumber('BENCH_MAX_BATCH')
const batchWindowMs = optionalNumber('BENCH_BATCH_WINDOW_MS')
const deadlineMs = Number(process.env.BENCH_DEADLINE_MS ?? 120_000)
const pacedRequests = Number(process.env.BENCH_PACED_REQUESTS ?? 50)
const pacedRate = Number(process.env.BENCH_PACED_RATE ?? 20)
const logger = createLogger({ name: 'bench-e2e', level: process.env.TEEFN_LOG_LEVEL ?? 'silent' })

const loadBefore = loadavg()
const anvil = await startAnvil()
const redisServer = await startRedisServer()
const dir = await mkdtemp(join(tmpdir(), 'teefn-bench-e2e-'))
const connection = createRedisConnection({ url: redisServer.url })
const http = connectEvmHttp({ url: anvil.rpcUrl, chainId: anvil.chainId })
// The price sources stand for remote APIs: their own process, so their CPU is not the relayer's.
const sources = await startPriceSources()
const [admin, functionOwner, oracleOwner] = anvil.privateKeys.map((key) => new Wallet(key, http)) as [
  Wallet,
  Wallet,
  Wallet,
]
const functionId = keccak256(toUtf8Bytes('teefn.bench.price'))
// `priceFeed` (default): the example function, median of three local sources (three fetches per request).
// `constant`: answers a fixed price without fetching, to measure the platform without the function's cost.
const scenario = process.env.BENCH_FUNCTION === 'constant' ? 'constant' : 'priceFeed'
const priceFeed =
  scenario === 'constant'
    ? { code: `export default () => '0x${300_100_000_000n.toString(16).padStart(64, '0')}'` }
    : await loadExampleFunction(new URL('../functions/priceFeed/index.ts', import.meta.url).href)
const store = createRedisFunctionStore({ redis: connection })
const { codeHash } = await store.putFunction(priceFeed.code)
const keyFile = join(dir, 'worker.json')
const provider = await createDevProvider({ keyFile })
const attestation = await attestWorker({ provider, measurement: codeHash })
const registry = await deployRegistry(admin)
await mined(registry.connect(functionOwner).registerFunction(functionId, codeHash))
const now = (await http.getBlock('latest'))!.timestamp
await mined(registry.admitWorker(provider.publicKeys.evmAddress, keccak256(attestation.quote), now + 86_400))
const oracle = await deployPriceOracle(oracleOwner, { registry: String(registry.target), functionId })
const oracleAddress = String(oracle.target)

// The worker runs in its own process, as a TEE worker does (BENCH_WORKER_PROCESS=0: in this one).
const workerInProcess = process.env.BENCH_WORKER_PROCESS === '0'
const pool = workerInProcess ? await createSandboxPool({ threads }) : undefined
const reader = createEvmChainReader({
  chainId: anvil.chainId,
  registry: String(registry.target),
  rpcUrls: [anvil.rpcUrl],
  quorum: 1,
  confirmations: 0,
})
const worker = pool
  ? startWorker({
      connection,
      pool,
      provider,
      store,
      chains: { evm: [reader] },
      concurrency: workerConcurrency,
      allowHosts: [`127.0.0.1:${sources.port}`],
    })
  : undefined
const workerProcess = workerInProcess
  ? undefined
  : await startWorkerProcess({
      redisUrl: redisServer.url,
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      registry: String(registry.target),
      keyFile,
      allowHosts: [`127.0.0.1:${sources.port}`],
      lockDurationMs: 30_000,
      threads,
      concurrency: workerConcurrency,
    })
const watcher = await startEvmWatcher({
  connection,
  chainId: anvil.chainId,
  rpcUrl: anvil.rpcUrl,
  wsUrl: anvil.wsUrl,
  consumers: [oracleAddress],
  logger,
})
const submitter = startEvmSubmitter({
  connection,
  chainId: anvil.chainId,
  rpcUrl: anvil.rpcUrl,
  privateKey: anvil.privateKeys[3]!,
  maxInFlight,
  maxBatchSize,
  batchWindowMs,
  logger,
})

// The observer: one subscription for both events, timestamps taken on arrival.
const requestedAt = new Map<string, number>()
const fulfilledAt = new Map<string, number>()
const sentTopic = oracle.interface.getEvent('RequestSent')!.topicHash
const fulfilledTopic = oracle.interface.getEvent('RequestFulfilled')!.topicHash
const observer = await subscribeLogs(
  anvil.wsUrl,
  { address: oracleAddress, topics: [[sentTopic, fulfilledTopic]] },
  (log) => {
    const at = performance.now()
    const requestId = log.topics[1]!
    if (log.topics[0] === sentTopic) requestedAt.set(requestId, at)
    else if (!fulfilledAt.has(requestId)) fulfilledAt.set(requestId, at)
  },
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
  Array.from({ length: pacedRequests + requests }, (_, i) =>
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
const loadRpc = createRpcClient({ url: anvil.rpcUrl, maxSockets: sendConcurrency })

// Paced first: the latency of the pipeline itself, without a queue in front of it.
const paced = raw.splice(0, pacedRequests)
for (const tx of paced) {
  await loadRpc.request('eth_sendRawTransaction', [tx])
  await sleep(1000 / pacedRate)
}
await waitUntil(() => fulfilledAt.size >= pacedRequests, 30_000)
const pacedLatencies = [...requestedAt].flatMap(([requestId, at]) =>
  fulfilledAt.has(requestId) ? [fulfilledAt.get(requestId)! - at] : [],
)
requestedAt.clear()
fulfilledAt.clear()

// Then the burst: every request as fast as anvil takes them.
const firstBlock = (await http.getBlockNumber()) + 1
const cpuBefore = {
  node: process.cpuUsage(),
  anvil: cpuMsOf(anvil.pid),
  redis: cpuMsOf(redisServer.pid),
  sources: cpuMsOf(sources.pid),
  worker: workerProcess ? cpuMsOf(workerProcess.pid) : 0,
}
const sendStarted = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: sendConcurrency }, async () => {
    while (next < raw.length) {
      const tx = raw[next++]!
      await loadRpc.request('eth_sendRawTransaction', [tx])
    }
  }),
)
const sendMs = performance.now() - sendStarted
const complete = await waitUntil(
  () => fulfilledAt.size >= requests && requestedAt.size >= requests,
  deadlineMs,
)
const cpuAfter = {
  node: process.cpuUsage(cpuBefore.node),
  anvil: cpuMsOf(anvil.pid),
  redis: cpuMsOf(redisServer.pid),
  sources: cpuMsOf(sources.pid),
  worker: workerProcess ? cpuMsOf(workerProcess.pid) : 0,
}
const lastBlock = await http.getBlockNumber()

// The chain's account: every request of the run and every fulfilment of it.
const requestLogs = await http.getLogs({
  address: oracleAddress,
  topics: [sentTopic],
  fromBlock: firstBlock,
  toBlock: lastBlock,
})
const fulfilmentLogs = await http.getLogs({
  address: oracleAddress,
  topics: [fulfilledTopic],
  fromBlock: firstBlock,
  toBlock: lastBlock,
})
const fulfilmentsOf = new Map<string, number>()
for (const log of fulfilmentLogs)
  fulfilmentsOf.set(log.topics[1]!, (fulfilmentsOf.get(log.topics[1]!) ?? 0) + 1)
const runRequests = requestLogs.map((log) => log.topics[1]!)
const lost = runRequests.filter((requestId) => !fulfilmentsOf.has(requestId)).length
const doubled = [...fulfilmentsOf.values()].filter((count) => count > 1).length

const latencies = runRequests
  .filter((requestId) => requestedAt.has(requestId) && fulfilledAt.has(requestId))
  .map((requestId) => fulfilledAt.get(requestId)! - requestedAt.get(requestId)!)
const firstSeen = Math.min(
  ...runRequests.map((requestId) => requestedAt.get(requestId) ?? Number.POSITIVE_INFINITY),
)
const lastFulfilled = Math.max(...runRequests.map((requestId) => fulfilledAt.get(requestId) ?? 0))
const submitterStats = submitter.stats()
const loadAfter = loadavg()

report({
  benchmark: 'e2e-evm',
  function: scenario,
  node: process.version,
  cores: availableParallelism(),
  requests: runRequests.length,
  latency_p50_ms: round(percentile(latencies, 50)),
  latency_p99_ms: round(percentile(latencies, 99)),
  latency_max_ms: round(Math.max(...latencies)),
  fulfilled_per_s: round((fulfilmentsOf.size / (lastFulfilled - firstSeen)) * 1000),
  lost,
  doubled,
  complete,
  paced: {
    requests: pacedLatencies.length,
    rate_per_s: pacedRate,
    latency_p50_ms: round(percentile(pacedLatencies, 50)),
    latency_p99_ms: round(percentile(pacedLatencies, 99)),
  },
  send_ms: round(sendMs),
  requests_per_s_sent: round((requests / sendMs) * 1000),
  fulfil_transactions: submitterStats.transactions,
  fulfil_batches: submitterStats.batches,
  envelopes_per_transaction: round(submitterStats.fulfilled / Math.max(1, submitterStats.transactions), 2),
  cpu_ms_per_request: {
    worker_process: workerProcess ? round((cpuAfter.worker - cpuBefore.worker) / requests, 2) : undefined,
    node: round((cpuAfter.node.user + cpuAfter.node.system) / 1000 / requests, 2),
    anvil: round((cpuAfter.anvil - cpuBefore.anvil) / requests, 2),
    redis: round((cpuAfter.redis - cpuBefore.redis) / requests, 2),
    price_sources: round((cpuAfter.sources - cpuBefore.sources) / requests, 2),
  },
  submitter: submitterStats,
  watcher: watcher.stats(),
  config: {
    threads,
    workerConcurrency,
    workerProcess: !workerInProcess,
    sendConcurrency,
    ...submitter.settings,
  },
  load_average_before: loadBefore.map((value) => round(value, 2)),
  load_average_after: loadAfter.map((value) => round(value, 2)),
  notes:
    'paced = the same pipeline at a low request rate first (no queueing): its latency; ' +
    'cpu_ms_per_request: CPU time over the run / requests, per process (node = watcher + submitter + load generator, and the worker with its sandbox threads unless worker_process); ' +
    'latency = RequestSent log seen -> RequestFulfilled log seen, on one WebSocket subscription in the bench process ' +
    '(which also runs watcher and submitter); fulfilled_per_s = fulfilled / (last fulfilment seen - first request seen); ' +
    'lost/doubled from getLogs over the run blocks; anvil automine: one block per transaction; ' +
    'load_average: os.loadavg() before and after (the machine is shared)',
})

await observer.close()
await watcher.stop()
await submitter.close()
await worker?.close()
await pool?.close()
await workerProcess?.stop()
reader.close()
await sources.close()
http.destroy()
loadRpc.close()
connection.disconnect()
await Promise.all([anvil.stop(), redisServer.stop()])
await rm(dir, { recursive: true, force: true })

/** A node process serving `{ price }` on 127.0.0.1 (keep-alive, like a real API). */
async function startPriceSources(): Promise<{
  url: string
  port: number
  pid: number
  close(): Promise<void>
}> {
  const code = `
    const prices = { '/a': 3000, '/b': 3001, '/c': 3002.5 }
    const server = require('node:http').createServer((request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ price: prices[request.url] ?? 1 }))
    })
    server.listen(0, '127.0.0.1', () => console.log(server.address().port))
    process.on('SIGTERM', () => process.exit(0))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    child.once('exit', (exitCode) => reject(new Error(`the price sources exited (${exitCode})`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** CPU time (user + system) a process used so far, in ms, from /proc. */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 Hz).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  return true
}
