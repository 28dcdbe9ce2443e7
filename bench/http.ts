/**
 * `npm run bench:http`: invocations through the HTTP API at 50 concurrent callers, end to end: fastify ->
 * the HTTP lane's BullMQ queue (Redis on this machine) -> worker -> QuickJS sandbox pool -> envelope signed with the
 * (dev) enclave key -> completion event -> HTTP answer. Prints one JSON object.
 *
 * The API and the worker share one process, as `teefn node` runs them; autocannon runs in its own process so
 * it does not share their event loop. Settings: BENCH_DURATION_S (10), BENCH_CONNECTIONS (50),
 * BENCH_WORKER_CONCURRENCY (jobs a worker runs at once; default 8 per sandbox thread), BENCH_CALLER_QUOTAS=off
 * (the load is one caller: without the per-caller quotas).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startNode } from '../cli/node/startNode.js'
import { startRedisServer } from '../dev/startRedisServer.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { secp256k1Implementation } from '../runtime/enclave/signSecp256k1.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { report, round } from './support.js'

const durationS = Number(process.env.BENCH_DURATION_S ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const threads = availableParallelism()
const workerConcurrency = Number(process.env.BENCH_WORKER_CONCURRENCY ?? threads * 8)
const code = 'export default function main(request) { return "hello " + request }'
const loadBefore = loadavg()

const redis = await startRedisServer()
const dir = await mkdtemp(join(tmpdir(), 'teefn-bench-http-'))
const keyFile = join(dir, 'worker-key.json')
const provider = await createDevProvider({ keyFile })
// The API and the worker as `teefn node` composes them, in this process; no chain.
const node = await startNode({
  config: {
    redisUrl: redis.url,
    tee: { provider: 'dev', devKeyFile: keyFile },
    worker: {
      threads,
      concurrency: workerConcurrency,
      // The load comes from one caller: BENCH_CALLER_QUOTAS=off measures without the per-caller quotas.
      ...(process.env.BENCH_CALLER_QUOTAS === 'off' ? { callerQuotas: false as const } : {}),
    },
    server: {
      host: '127.0.0.1',
      port: 0,
      apiKeys: 'env:TEEFN_BENCH_API_KEYS',
      rateLimit: { max: 1_000_000_000 },
      requestLogging: false,
    },
  },
  roles: ['api', 'worker'],
  env: { ...process.env, TEEFN_BENCH_API_KEYS: 'bench-key' },
  logger: createLogger({ name: 'bench-http', level: 'warn' }),
})
const serverUrl = node.serverUrl!

try {
  const upload = await fetch(`${serverUrl}/v1/functions`, {
    method: 'POST',
    headers: { 'content-type': 'application/javascript', 'x-api-key': 'bench-key' },
    body: code,
  })
  const { codeHash } = (await upload.json()) as { codeHash: string }
  const invokeUrl = `${serverUrl}/v1/functions/${codeHash}/invoke`
  const body = JSON.stringify({ request: 'bench' })

  // One checked call first: the answer is a signed envelope from this worker, with the expected result.
  const check = (await (
    await fetch(invokeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  ).json()) as { envelope: unknown; result: string }
  const verified = await verifyEnvelope(check.envelope, { worker: provider.publicKeys.evmAddress, codeHash })
  if (Buffer.from(verified.result).toString() !== 'hello bench' || check.result !== 'hello bench') {
    throw new Error(`unexpected answer: ${JSON.stringify(check)}`)
  }

  // Warm-up (JIT, connection pools), then the measured run.
  await autocannon(invokeUrl, body, 2)
  const before = await invocationsCounted()
  const cpuBefore = process.cpuUsage()
  const redisCpuBefore = processCpuMs(redis.pid)
  const mainCpuBefore = processCpuMs(process.pid, process.pid)
  const eluBefore = performance.eventLoopUtilization()
  const { result, cpuMs: loadGeneratorCpuMs } = await autocannon(invokeUrl, body, durationS)
  const elu = performance.eventLoopUtilization(eluBefore)
  const redisCpuMs = processCpuMs(redis.pid) - redisCpuBefore
  const mainThreadCpuMs = processCpuMs(process.pid, process.pid) - mainCpuBefore
  const cpu = process.cpuUsage(cpuBefore)
  const counted = (await invocationsCounted()) - before
  const ok = result.statusCodeStats?.['200']?.count ?? 0
  const loadAfter = loadavg()

  // Where the CPU goes per invocation (independent of how busy the machine is), and what that allows.
  const perInvocation = (ms: number) => round(ms / Math.max(1, counted), 3)
  const processCpuMsTotal = (cpu.user + cpu.system) / 1000
  const cpuPerInvocation = perInvocation(processCpuMsTotal + redisCpuMs + loadGeneratorCpuMs)
  report({
    benchmark: 'http',
    node: process.version,
    cores: threads,
    sandbox_threads: threads,
    worker_concurrency: workerConcurrency,
    envelope_signer: secp256k1Implementation,
    connections,
    duration_s: result.duration,
    invoke_p50_ms: result.latency.p50,
    invoke_p99_ms: result.latency.p99,
    invoke_mean_ms: round(result.latency.average, 2),
    invocations_per_s: round(ok / result.duration),
    requests_total: result.requests.total,
    ok_200: ok,
    accepted_202: result.statusCodeStats?.['202']?.count ?? 0,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    invocations_signed_by_worker: counted,
    goal_invocations_per_s: 1000,
    cpu_ms_per_invocation: {
      teefn_process_all_threads: perInvocation(processCpuMsTotal),
      of_which_main_thread: perInvocation(mainThreadCpuMs),
      of_which_sandbox_and_other_threads: perInvocation(processCpuMsTotal - mainThreadCpuMs),
      redis_server: perInvocation(redisCpuMs),
      load_generator: perInvocation(loadGeneratorCpuMs),
      total: cpuPerInvocation,
    },
    main_thread_event_loop_utilization: round(elu.utilization, 3),
    cpu_bound_invocations_per_s_if_cores_were_idle: round((threads * 1000) / cpuPerInvocation),
    main_thread_bound_invocations_per_s: round(1000 / perInvocation(mainThreadCpuMs)),
    load_average_before: loadBefore.map((value) => round(value, 2)),
    load_average_after: loadAfter.map((value) => round(value, 2)),
    notes:
      'POST /v1/functions/<codeHash>/invoke {"request":"bench"}, waiting for the signed envelope (200). ' +
      'API + BullMQ worker + sandbox pool in one process (as teefn node), dev TEE provider (secp256k1 signing on ' +
      'the main thread, by envelope_signer), redis-server and autocannon on the same machine; invocations_per_s counts 200 answers only. ' +
      'Other processes on the machine share its cores: see load_average; cpu_ms_per_invocation does not depend on them.',
  })
} finally {
  await node.close()
  await redis.stop()
  await rm(dir, { recursive: true, force: true })
}

type AutocannonResult = {
  duration: number
  latency: { p50: number; p99: number; average: number }
  requests: { total: number; average: number }
  non2xx: number
  errors: number
  timeouts: number
  statusCodeStats?: Record<string, { count: number }>
}

/**
 * autocannon (programmatic) in its own process, so the load generator has its own event loop; it reports its
 * result and the CPU it used.
 */
function autocannon(
  url: string,
  body: string,
  seconds: number,
): Promise<{ result: AutocannonResult; cpuMs: number }> {
  const module = pathToFileURL(createRequire(import.meta.url).resolve('autocannon')).href
  const script = `
    const { default: autocannon } = await import(${JSON.stringify(module)})
    const result = await autocannon(${JSON.stringify({
      url,
      connections,
      duration: seconds,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })})
    const cpu = process.cpuUsage()
    process.stdout.write(JSON.stringify({ result, cpuMs: (cpu.user + cpu.system) / 1000 }))
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (status) => {
      if (status !== 0) return reject(new Error(`autocannon exited with ${status}: ${stderr}`))
      resolve(JSON.parse(stdout) as { result: AutocannonResult; cpuMs: number })
    })
  })
}

/** CPU time (user + system) a process, or one of its threads, has used so far, from /proc (Linux). */
function processCpuMs(pid: number, thread?: number): number {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ')
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** Invocations the worker signed so far, from the node's own Prometheus metrics. */
async function invocationsCounted(): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text()
  return [...text.matchAll(/^teefn_invocations_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  )
}
