/**
 * `npm run bench:sandbox`: the cost of running a function, through the same public API a worker job uses,
 * against node:vm measured in the same run. Prints one JSON object.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createContext, Script } from 'node:vm'
import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC } from 'quickjs-emscripten'
import { createSandboxPool, type Invocation } from '../runtime/sandbox/index.js'
import { startHttpServer } from '../test/support/startHttpServer.js'
import { percentile, report, round, sampleMicroseconds } from './support.js'

const code = readFileSync(new URL('./fixtures/benchFunction.js', import.meta.url), 'utf8')
const request = JSON.stringify({
  quotes: [
    { source: 'a', price: 3012.5 },
    { source: 'b', price: 3010.25, weight: 2 },
    { source: 'c', price: 3020 },
    { source: 'd', price: 2999.75 },
  ],
})
const context = { requestId: 'bench', trigger: 'http' as const, codeHash: '0x00' }
const samples = Number(process.env.BENCH_SAMPLES ?? 3000)

const pool = await createSandboxPool()
const invocation: Invocation = { code, request, context }
const expected = JSON.parse(vmCold()).price
const check = await pool.invoke(invocation)
if (!check.ok || JSON.parse(check.result as string).price !== expected)
  throw new Error(`unexpected result: ${JSON.stringify(check)}`)

// Cold: a fresh runtime and context for every invocation, as a worker job runs it. Jobs arrive with gaps
// in which each thread prepares its next sandbox; a short pause between samples gives it that gap.
await sampleMicroseconds(300, () => pool.invoke(invocation))
const cold = await sampleMicroseconds(samples, async () => {
  await pause()
  const started = performance.now()
  await pool.invoke(invocation)
  return performance.now() - started
})
const nodeVm = await sampleMicroseconds(samples, vmCold)

// Throughput: back to back, with two invocations per thread in flight, so preparation competes with runs.
const throughputStarted = performance.now()
const throughputCount = samples * 2
const lanes = pool.stats().threads * 2
await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < throughputCount; i += lanes) await pool.invoke(invocation)
  }),
)
const invocationsPerSecond = throughputCount / ((performance.now() - throughputStarted) / 1000)

// Fetch overhead: a function that fetches from a server answering at once, minus the same call without it.
const server = await startHttpServer((_request, response) => response.end('1'))
const allowHosts = [`127.0.0.1:${server.port}`]
const plain = { code: 'export default async (url) => "1"', request: server.url, context, allowHosts }
const fetching = {
  code: 'export default async (url) => (await fetch(url)).text()',
  request: server.url,
  context,
  allowHosts,
}
await sampleMicroseconds(200, () => pool.invoke(fetching))
const plainCalls = await sampleMicroseconds(1000, () => pool.invoke(plain))
const fetchCalls = await sampleMicroseconds(1000, () => pool.invoke(fetching))
await server.close()

// Memory: RSS growth over 10,000 invocations after warm-up.
global.gc?.()
const rssBefore = process.memoryUsage().rss
for (let i = 0; i < 10_000; i++) await pool.invoke(invocation)
global.gc?.()
const rssAfter = process.memoryUsage().rss
const poolStats = pool.stats()
await pool.close()

const warm = await warmCallOnReusedContext()

report({
  benchmark: 'sandbox',
  node: process.version,
  cores: availableParallelism(),
  threads: poolStats.threads,
  function_bytes: Buffer.byteLength(code),
  samples,
  cold_p50_us: round(percentile(cold, 50)),
  cold_p99_us: round(percentile(cold, 99)),
  nodevm_cold_p50_us: round(percentile(nodeVm, 50)),
  nodevm_cold_p99_us: round(percentile(nodeVm, 99)),
  warm_call_p50_us: round(percentile(warm, 50)),
  fetch_overhead_p50_us: round(percentile(fetchCalls, 50) - percentile(plainCalls, 50)),
  fetch_call_p50_us: round(percentile(fetchCalls, 50)),
  plain_call_p50_us: round(percentile(plainCalls, 50)),
  rss_growth_mb_10k: round((rssAfter - rssBefore) / 1024 / 1024),
  cold_vs_nodevm: round(percentile(cold, 50) / percentile(nodeVm, 50), 2),
  invocations_per_s: round(invocationsPerSecond),
  notes:
    'cold = pool.invoke of a fresh runtime+context (prepared off the request path, 2 ms between samples) incl. thread messaging; ' +
    'invocations_per_s = back to back, 2 in flight per thread (preparation on the path); ' +
    'nodevm = vm.createContext + Script.runInContext + main(request) in-process; ' +
    'warm = main called again on one already-evaluated QuickJS context (for reference: teefn never reuses contexts)',
})

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2))
}

/** node:vm, the peer: a new context, the same function (as a script), one call. */
function vmCold(): string {
  const sandbox = createContext({})
  new Script(code.replace('export default function main', 'globalThis.main = function main')).runInContext(
    sandbox,
  )
  return (sandbox as { main: (r: string, s: object, c: object) => string }).main(request, {}, context)
}

/** A warm call: main invoked again on a context that already evaluated the function. */
async function warmCallOnReusedContext(): Promise<number[]> {
  const quickjs = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC)
  using runtime = quickjs.newRuntime()
  using vmContext = runtime.newContext()
  using exported = vmContext.unwrapResult(vmContext.evalCode(code, 'function.js', { type: 'module' }))
  using main = vmContext.getProp(exported, 'default')
  using args = vmContext.unwrapResult(
    vmContext.evalCode(`[${JSON.stringify(request)}, {}, ${JSON.stringify(context)}]`, 'args.js'),
  )
  const argHandles = [0, 1, 2].map((index) => vmContext.getProp(args, index))
  const times = await sampleMicroseconds(samples, () => {
    using result = vmContext.unwrapResult(vmContext.callFunction(main, vmContext.undefined, ...argHandles))
    return vmContext.getString(result)
  })
  for (const handle of argHandles) handle.dispose()
  return times
}
