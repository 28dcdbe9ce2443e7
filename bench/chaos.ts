/**
 * `npm run bench:chaos`: the whole node under steady load while faults are injected, counted from the chain.
 * anvil (automine) + redis-server (AOF) + `teefn node` as two processes: api + relayer, and the worker alone.
 * The node reaches anvil only through two proxies (HTTP JSON-RPC and WebSocket), so the bench can cut it off.
 * Load: CHAOS_EVM_RATE (5) `requestPrice` transactions and CHAOS_HTTP_RATE (5) `POST /invoke` a second, for
 * CHAOS_SECONDS (60). Faults, at times scaled to the duration: the worker process SIGKILLed twice (restarted at
 * once), Redis SIGKILLed and restarted from its AOF, and again from a copy of its AOF a second old (its last writes
 * lost, as in a power loss), the WebSocket connections dropped, the RPC cut (both proxies closed) for 30 s, and one relayer transaction forced to revert (a competing relayer, another account, sends the
 * same worker-signed envelope first; ours reverts with AlreadyFulfilled). Then it waits (at most
 * CHAOS_QUIET_SECONDS, 240) until every request is fulfilled and the queues are quiet, and prints one JSON object.
 *
 * The function reports every run to a local counter (as `/run/<trigger>/<request>`) before it fetches the three
 * price sources, so runs are counted outside the worker. `lost`, `doubled` and the transactions come from the
 * chain alone: each request's state in the consumer, `RequestFulfilled` events, and every block's transactions.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { keccak256, Transaction, toUtf8Bytes, Wallet } from 'ethers'
import type { NodeConfig } from '../cli/node/nodeConfigSchema.js'
import { findFreePort } from '../dev/findFreePort.js'
import { startAnvil } from '../dev/startAnvil.js'
import { startRedisServer } from '../dev/startRedisServer.js'
import { connectEvmHttp } from '../relayer/evm/connectEvm.js'
import { createRpcClient } from '../runtime/chain/evm/createRpcClient.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { openDeliveryQueue, openRequestQueue } from '../runtime/queue/queues.js'
import { countFulfilTransactions } from '../test/support/countFulfilTransactions.js'
import { startNodeProcess } from '../test/support/startNodeProcess.js'
import { startRunCounter } from '../test/support/startRunCounter.js'
import { startTcpProxy } from '../test/support/tcpProxy.js'
import { mined } from '../test/support/teefnContracts.js'
import { startChaosLoad } from './chaosLoad.js'
import { startChaosRpcProxy } from './chaosRpcProxy.js'
import { type Fault, startSampler } from './chaosSupport.js'
import { deployOracleFixture, startPriceSources } from './e2eSupport.js'
import { type Later, round, runBenchmark } from './support.js'

const settings = {
  seconds: Number(process.env.CHAOS_SECONDS ?? 60),
  evmRate: Number(process.env.CHAOS_EVM_RATE ?? 5),
  httpRate: Number(process.env.CHAOS_HTTP_RATE ?? 5),
  quietSeconds: Number(process.env.CHAOS_QUIET_SECONDS ?? 240),
  // Short, so a killed worker's jobs go to the next one in seconds, not the default half minute.
  lockDurationMs: Number(process.env.CHAOS_LOCK_MS ?? 10_000),
}
await runBenchmark(run)

async function run(later: Later): Promise<Record<string, unknown>> {
  const loadBefore = loadavg()
  const anvil = later(await startAnvil(), (started) => started.stop())
  const redis = later(await startRedisServer({ appendOnly: true }), (started) => started.stop())
  const dir = later(await mkdtemp(join(tmpdir(), 'teefn-bench-chaos-')), (path) =>
    rm(path, { recursive: true, force: true }),
  )
  const connection = later(createRedisConnection({ url: redis.url }), (client) => client.disconnect())
  connection.on('error', () => {}) // Redis is down during its fault: commands wait for the reconnect
  const http = later(connectEvmHttp({ url: anvil.rpcUrl, chainId: anvil.chainId }), (provider) =>
    provider.destroy(),
  )
  const sources = later(await startPriceSources(), (started) => started.close())
  const counter = later(await startRunCounter(), (started) => started.close())
  // The node's only ways to the chain: what the faults cut.
  const rpcProxy = later(await startChaosRpcProxy(anvil.rpcUrl), (proxy) => proxy.close())
  const wsProxy = later(await startTcpProxy(anvil.port), (proxy) => proxy.close())
  const [admin, functionOwner, oracleOwner, relayerKey, competitor] = anvil.privateKeys.map(
    (key) => new Wallet(key, http),
  ) as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet]

  const functionId = keccak256(toUtf8Bytes('teefn.bench.chaos'))
  const code = [
    `const counter = ${JSON.stringify(`${counter.url}/run/`)}`,
    `const sources = ${JSON.stringify(['/a', '/b', '/c'].map((path) => `${sources.url}${path}`))}`,
    'export default async (request, secrets, context) => {',
    '  await fetch(counter + context.trigger + "/" + encodeURIComponent(request))',
    '  const prices = await Promise.all(sources.map(async (url) => (await (await fetch(url)).json()).price))',
    '  prices.sort((a, b) => a - b)',
    '  return "0x" + BigInt(Math.round(prices[1] * 1e8)).toString(16).padStart(64, "0")',
    '}',
  ].join('\n')
  const { codeHash, keyFile, registry, oracle, oracleAddress } = await deployOracleFixture({
    connection,
    http,
    admin,
    functionOwner,
    oracleOwner,
    functionId,
    code: code,
    dir,
  })

  const apiPort = await findFreePort()
  const config: NodeConfig = {
    redisUrl: redis.url,
    tee: { provider: 'dev', devKeyFile: keyFile },
    worker: {
      threads: 2,
      lockDurationMs: settings.lockDurationMs,
      allowHosts: [`127.0.0.1:${sources.port}`, counter.host],
    },
    server: { host: '127.0.0.1', port: apiPort, rateLimit: { max: 1_000_000 }, requestLogging: false },
    evm: [
      {
        chainId: anvil.chainId,
        rpcUrl: rpcProxy.url,
        wsUrl: `ws://127.0.0.1:${wsProxy.port}`,
        rpcUrls: [rpcProxy.url],
        rpcQuorum: 1,
        confirmations: 0,
        registry: String(registry.target),
        consumers: [oracleAddress],
        submitterKey: 'env:TEEFN_CHAOS_SUBMITTER_KEY',
      },
    ],
  }
  const env = { TEEFN_CHAOS_SUBMITTER_KEY: relayerKey.privateKey }
  const startWorker = () => startNodeProcess({ config, roles: ['worker'] }, { env })
  later(await startNodeProcess({ config, roles: ['api', 'relayer'] }, { env }), (started) => started.stop())
  let worker = await startWorker()
  // The worker process of the moment: it is killed and started again during the run.
  later(undefined, () => worker.stop())
  const sampler = later(startSampler({ redis: connection, pids: () => [worker.pid] }), (started) =>
    started.stop(),
  )

  // The load: requests straight to anvil (the users), invocations to the API.
  const firstBlock = (await http.getBlockNumber()) + 1
  const load = startChaosLoad({
    rpc: later(createRpcClient({ url: anvil.rpcUrl }), (client) => client.close()),
    requester: new Wallet(oracleOwner.privateKey),
    chainId: anvil.chainId,
    oracle,
    nonce: await http.getTransactionCount(oracleOwner.address, 'pending'),
    invokeUrl: `http://127.0.0.1:${apiPort}/v1/functions/${codeHash}/invoke`,
    evmRate: settings.evmRate,
    httpRate: settings.httpRate,
  })

  // The faults, at offsets scaled to the run (as for 60 s), one after another.
  const started = performance.now()
  const at = (seconds: number) => sleep(Math.max(0, started + seconds * 1000 - performance.now()))
  const scale = settings.seconds / 60
  const faults: Fault[] = []
  const fault = async (name: string, act: () => Promise<Record<string, unknown> | undefined>) => {
    const from = performance.now()
    const details = await act()
    faults.push({
      name,
      at_s: round((from - started) / 1000),
      duration_s: round((performance.now() - from) / 1000),
      ...details,
    })
  }
  // Killed right after a run reported in, so the run dies half done and its job waits out its lock.
  const killWorker = async () => {
    const pid = worker.pid
    const runs = () => counter.runs('evm') + counter.runs('http')
    const before = runs()
    const deadline = Date.now() + 5_000
    while (runs() === before && Date.now() < deadline) await sleep(1)
    const midRun = runs() > before
    await worker.kill()
    worker = await startWorker() // the duration includes the new process's start
    return { killed_pid: pid, new_pid: worker.pid, mid_run: midRun }
  }
  const fulfilSelector = oracle.interface.getFunction('fulfill')!.selector
  await at(6 * scale)
  await fault('worker_sigkill_1', killWorker)
  await at(12 * scale)
  await fault('redis_sigkill_restart', async () => {
    await redis.restart({ signal: 'SIGKILL', downtimeMs: 2_000 })
    return { downtime_ms: 2_000, aof: true }
  })
  await at(18 * scale)
  await fault('websocket_dropped', async () => {
    await wsProxy.drop()
    await sleep(2_000)
    await wsProxy.restore()
    return { port_closed_ms: 2_000 }
  })
  await at(21 * scale)
  // A competing relayer front-runs one of ours with the same envelope: ours is mined after it, and reverts.
  await fault('delivery_forced_revert', async () => {
    let competing = ''
    const held = await rpcProxy.holdNextSend(
      {
        // A single `fulfill` (a batch skips an answered envelope instead of reverting).
        matches: (raw) => {
          const transaction = Transaction.from(raw)
          return (
            transaction.to?.toLowerCase() === oracleAddress.toLowerCase() &&
            transaction.data.startsWith(fulfilSelector)
          )
        },
        before: async (raw) => {
          try {
            const [envelope] = oracle.interface.decodeFunctionData('fulfill', Transaction.from(raw).data)
            competing = (await mined(oracle.connect(competitor).fulfill(envelope.toArray()))).hash
          } catch (error) {
            competing = `failed: ${(error as Error).message.split('\n')[0]}`
          }
        },
      },
      20_000,
    )
    if (!held) return { held_transaction: null, note: 'no single fulfil was sent within 20 s' }
    return { held_transaction: Transaction.from(held).hash, competing_transaction: competing }
  })
  // A power loss under `appendfsync everysec`: Redis comes back without its last second of writes.
  await at(22.5 * scale)
  const copy = await redis.copyData()
  const copiedAt = performance.now()
  await sleep(1_000)
  await fault('redis_restart_lost_writes', async () => {
    const lostMs = round(performance.now() - copiedAt)
    await redis.restart({ signal: 'SIGKILL', downtimeMs: 1_000, from: copy })
    return { writes_lost_ms: lostMs, downtime_ms: 1_000 }
  })
  const cutSeconds = Math.min(30, settings.seconds / 2)
  await at(26 * scale)
  const cut = fault('rpc_cut', async () => {
    await Promise.all([rpcProxy.cut(), wsProxy.drop()])
    await sleep(cutSeconds * 1000)
    await Promise.all([rpcProxy.restore(), wsProxy.restore()])
    return { http_and_websocket: true }
  })
  await at((26 + cutSeconds / scale / 2) * scale)
  await fault('worker_sigkill_2', killWorker)
  await cut
  await at(settings.seconds)
  const sent = await load.stop()
  const loadEnded = performance.now()

  // Quiet: every request answered on-chain and nothing left in the queues (bounded).
  const requestIds = sent.requestIds
  const stateOf = async (requestId: string) => Number((await oracle.requestInfo(requestId)).state)
  const deadline = Date.now() + settings.quietSeconds * 1000
  const requestQueue = later(openRequestQueue(connection), (queue) => queue.close())
  const deliveryQueue = later(
    openDeliveryQueue(connection, { family: 'evm', chainId: String(anvil.chainId) }),
    (queue) => queue.close(),
  )
  let pending = requestIds
  while (Date.now() < deadline) {
    const states = await Promise.all(pending.map(stateOf))
    pending = pending.filter((_, index) => states[index] !== 2 && states[index] !== 3)
    const queues = await Promise.all(
      [requestQueue, deliveryQueue].map((queue) => queue.getJobCounts('waiting', 'active', 'delayed')),
    )
    const busy = queues.some((counts) => Object.values(counts).some((jobs) => jobs > 0))
    if (pending.length === 0 && !busy) break
    await sleep(500)
  }
  const quietAfterS = round((performance.now() - loadEnded) / 1000)
  await sleep(2_000) // a stray transaction would be mined by now

  const transactions = await countFulfilTransactions({
    provider: http,
    destination: oracleAddress,
    relayer: relayerKey.address,
    fromBlock: firstBlock,
  })
  const events = await http.getLogs({
    address: oracleAddress,
    topics: [oracle.interface.getEvent('RequestFulfilled')!.topicHash],
    fromBlock: firstBlock,
  })
  const eventsOf = new Map<string, number>()
  for (const log of events) eventsOf.set(log.topics[1]!, (eventsOf.get(log.topics[1]!) ?? 0) + 1)
  const doubled = requestIds.filter(
    (requestId) =>
      (eventsOf.get(requestId) ?? 0) > 1 || (transactions.fulfilments.get(requestId.toLowerCase()) ?? 0) > 1,
  )
  const runsOf = (payload: string) => counter.runs('evm', payload)
  const samples = sampler.peaks()

  return {
    benchmark: 'chaos',
    node: process.version,
    cores: availableParallelism(),
    seconds: settings.seconds,
    requests: requestIds.length,
    fulfilled: requestIds.length - pending.length,
    lost: pending.length,
    doubled: doubled.length,
    function_runs: {
      evm: counter.runs('evm'),
      evm_requests_run_more_than_once: sent.payloads.filter((payload) => runsOf(payload) > 1).length,
      evm_requests_never_run: sent.payloads.filter((payload) => runsOf(payload) === 0).length,
      http: counter.runs('http'),
      http_requests_run_more_than_once: Array.from(
        { length: sent.http.sent },
        (_, index) => counter.runs('http', `http ${index}`) > 1,
      ).filter(Boolean).length,
    },
    fulfil_transactions: transactions.transactions,
    reverted_transactions: transactions.reverted,
    wasted_transactions: transactions.wasted,
    fulfilments_by_competitor: requestIds.length - pending.length - transactions.fulfilments.size,
    http_requests: sent.http.sent,
    http_ok: sent.http.ok,
    http_errors: sent.http.errors,
    faults: faults.sort((a, b) => a.at_s - b.at_s),
    quiet_after_s: quietAfterS,
    redis_peak_mb: samples.redisPeakMb,
    worker_peak_rss_mb: samples.workerPeakRssMb,
    config: { ...settings, threads: 2, evm_send_retries: sent.evmSendRetries },
    load_average_before: loadBefore.map((value) => round(value, 2)),
    load_average_after: loadavg().map((value) => round(value, 2)),
    notes:
      'requests = RequestSent transactions the load sent (straight to anvil); lost = requests whose consumer state is not Fulfilled after the quiet wait; ' +
      "doubled = requests with more than one RequestFulfilled event or relayer fulfilment; fulfil/reverted/wasted_transactions = the relayer account's transactions to the consumer, read block by block with receipts " +
      "(wasted: mined but fulfilled nothing); fulfilments_by_competitor: the forced-revert fault's front-run; function_runs from the function's own reports to a local counter; " +
      'http_errors by status (202 = the wait ran out, the job still runs) or network error code; redis_peak_mb = max of INFO used_memory_peak sampled each second (a restart resets it); ' +
      `worker_peak_rss_mb = max VmRSS of the worker processes; worker lockDurationMs ${settings.lockDurationMs}`,
  }
}
