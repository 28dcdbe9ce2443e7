/**
 * `npm run bench:cli`: how long the built `teefn` takes to start, against a bare `node -e 0` measured in the
 * same run: `teefn --help`, and `teefn run` of a trivial function. Each round runs the three one after another
 * (interleaved, so a busy moment on the machine hits all three alike); medians and p90s over the rounds.
 * Settings: BENCH_ROUNDS (10). Needs `npm run build` first. Prints one JSON object.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { percentile, report, round } from './support.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 10)
const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
const trivial = fileURLToPath(new URL('./fixtures/trivialFunction.js', import.meta.url))
if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
  throw new Error('dist/cli/main.js is missing: run `npm run build` first')
}

const commands = {
  node_baseline: ['-e', '0'],
  help: [bin, '--help'],
  run_trivial: [bin, 'run', trivial, '--request', 'bench'],
} as const
type Name = keyof typeof commands

/** Wall time of one process, spawn to exit, in milliseconds; a failing run stops the benchmark. */
function time(name: Name): number {
  const started = performance.now()
  const result = spawnSync(process.execPath, commands[name], { encoding: 'utf8' })
  const elapsed = performance.now() - started
  if (result.status !== 0) {
    throw new Error(`${name} exited ${result.status}:\n${result.stdout}\n${result.stderr}`)
  }
  if (name === 'run_trivial' && !result.stdout.startsWith('hello bench')) {
    throw new Error(`teefn run printed something else:\n${result.stdout}`)
  }
  return elapsed
}

// One unmeasured round warms the file cache, as any second run of the CLI finds it.
for (const name of Object.keys(commands) as Name[]) time(name)
const samples: Record<Name, number[]> = { node_baseline: [], help: [], run_trivial: [] }
for (let i = 0; i < rounds; i++) {
  for (const name of Object.keys(commands) as Name[]) samples[name].push(time(name))
}

const median = (name: Name) => {
  const sorted = [...samples[name]].sort((a, b) => a - b)
  const middle = sorted.length / 2
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!
}
const p90 = (name: Name) => round(percentile(samples[name], 90))
report({
  rounds,
  help_ms: round(median('help')),
  run_trivial_ms: round(median('run_trivial')),
  node_baseline_ms: round(median('node_baseline')),
  ratio_help: round(median('help') / median('node_baseline'), 2),
  ratio_run: round(median('run_trivial') / median('node_baseline'), 2),
  goals: { ratio_help: 3, ratio_run: 5 },
  p90_ms: { help: p90('help'), run_trivial: p90('run_trivial'), node_baseline: p90('node_baseline') },
  node: process.version,
})
