import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RedisServer } from '../dev/startRedisServer.js'
import type { SandboxPool } from '../runtime/sandbox/index.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import type { BundleAnalyzer } from './createBundleAnalyzer.js'
import type { StartServerReturnType } from './startServer.js'

/**
 * esbuild reads ESBUILD_BINARY_PATH once, when it loads: before any import here. The binary it then starts is a
 * wrapper around the real one that logs each start and refuses to start while the `down` file exists: a real
 * esbuild, made unable to start on demand (its stderr, where a crash dumps its Go stacks, is dropped).
 */
const esbuildFiles = vi.hoisted(() => {
  const fs = process.getBuiltinModule('node:fs')
  const path = process.getBuiltinModule('node:path')
  const os = process.getBuiltinModule('node:os')
  const { createRequire } = process.getBuiltinModule('node:module')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teefn-esbuild-'))
  const real = createRequire(import.meta.url).resolve(
    `@esbuild/${process.platform}-${process.arch}/bin/esbuild`,
  )
  const files = {
    dir,
    down: path.join(dir, 'down'),
    starts: path.join(dir, 'starts'),
    wrapper: path.join(dir, 'esbuild'),
  }
  fs.writeFileSync(
    files.wrapper,
    `#!/bin/sh\necho started >> '${files.starts}'\nif [ -e '${files.down}' ]; then exit 1; fi\nexec '${real}' "$@" 2>/dev/null\n`,
  )
  fs.chmodSync(files.wrapper, 0o755)
  process.env.ESBUILD_BINARY_PATH = files.wrapper
  return files
})

const apiKey = 'analyzer-suite-key'
let redisServer: RedisServer
let connection: Redis
let store: FunctionStore
let pool: SandboxPool
let analyzer: BundleAnalyzer
let server: StartServerReturnType

beforeAll(async () => {
  const { startRedisServer } = await import('../dev/startRedisServer.js')
  const { createRedisConnection } = await import('../runtime/queue/createRedisConnection.js')
  const { createRedisFunctionStore } = await import('../runtime/store/createRedisFunctionStore.js')
  const { createSandboxPool } = await import('../runtime/sandbox/index.js')
  const { createDevProvider } = await import('../runtime/enclave/devProvider.js')
  const { attestWorker } = await import('../runtime/enclave/attestWorker.js')
  const { createLogger } = await import('../runtime/logging/createLogger.js')
  const { createBundleAnalyzer } = await import('./createBundleAnalyzer.js')
  const { startServer } = await import('./startServer.js')
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  store = createRedisFunctionStore({ redis: connection })
  pool = await createSandboxPool({ threads: 1 })
  const provider = await createDevProvider({ keyFile: `${esbuildFiles.dir}/worker-key.json` })
  analyzer = createBundleAnalyzer({ restartBackoffMs: 200 })
  server = await startServer({
    port: 0,
    connection,
    store,
    attestation: await attestWorker({ provider, measurement: new TextEncoder().encode('teefn') }),
    apiKeys: [apiKey],
    probe: pool,
    analyzer,
    workerCheck: () => ({ ok: true }),
    logger: createLogger({ name: 'server', level: 'silent' }),
  })
})

afterAll(async () => {
  rmSync(esbuildFiles.down, { force: true })
  await server?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  rmSync(esbuildFiles.dir, { recursive: true, force: true })
})

const upload = (code: string) =>
  fetch(`${server.url}/v1/functions`, {
    method: 'POST',
    headers: { 'content-type': 'application/javascript', 'x-api-key': apiKey },
    body: code,
  })
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error
const starts = () => readFileSync(esbuildFiles.starts, 'utf8').trim().split('\n').length
/** Kills this process's esbuild services (as a crash or the OOM killer would). */
const killEsbuild = () => {
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  const pids = children
    .split('\n')
    .filter((line) => line.includes('--service='))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
  for (const pid of pids) process.kill(pid, 'SIGKILL')
  return pids.length
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

/** The 0.6 MB bundle of the hardening issue: arrays nested 300,000 deep. */
const nestedArrays = `export default () => ${'['.repeat(300_000)}${']'.repeat(300_000)}`

describe('finding 1: one upload cannot take bundle analysis down', () => {
  it('refuses the 0.6 MB nested-arrays bundle with 400 naming the limit; a valid upload right after succeeds', async () => {
    expect(nestedArrays.length).toBeGreaterThan(600_000)
    const refused = await upload(nestedArrays)
    expect(refused.status).toBe(400)
    const error = await errorOf(refused)
    expect(error.code).toBe('BUNDLE_TOO_DEEP')
    expect(error.message).toMatch(/nests more than 1000 levels .* at line 1, column \d+; the limit is 1000/)

    const valid = await upload('export default (request) => "still here: " + request')
    expect(valid.status).toBe(201)
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(((await health.json()) as { checks: { analyzer: { ok: boolean } } }).checks.analyzer.ok).toBe(true)
  })

  it('restarts esbuild when it dies: a crash that gets past the scan answers 503, the next upload succeeds', async () => {
    // What an unforeseen crash looks like: esbuild's own parser overflows its Go stack on this bundle.
    const before = starts()
    const crashed = await analyzer.analyze(nestedArrays).catch((error: unknown) => error)
    expect(crashed).toMatchObject({ statusCode: 503, code: 'ANALYZER_UNAVAILABLE' })
    expect((crashed as Error).message).toContain('it stopped during this analysis')
    const valid = await upload('export default () => "after a crash"')
    expect(valid.status).toBe(201)
    expect(starts()).toBeGreaterThan(before)

    // Killed while idle (the OOM killer, a signal): the next upload restarts it and goes through.
    await upload('export default () => "warm"')
    expect(killEsbuild()).toBeGreaterThan(0)
    await settle()
    const afterKill = await upload('export default () => "after a kill"')
    expect(afterKill.status).toBe(201)
  })

  it('answers 503 ANALYZER_UNAVAILABLE and fails /healthz while esbuild cannot start, and recovers when it can', async () => {
    writeFileSync(esbuildFiles.down, '')
    try {
      expect(killEsbuild()).toBeGreaterThan(0)
      await settle()
      const code = 'export default () => "while down"'
      const refused = await upload(code)
      expect(refused.status).toBe(503)
      expect(await errorOf(refused)).toMatchObject({
        code: 'ANALYZER_UNAVAILABLE',
        message: expect.stringMatching(/^the bundle analyzer is not running .*Retry in a few seconds\.$/),
      })
      const { computeCodeHash } = await import('../runtime/store/computeCodeHash.js')
      expect(await store.getFunction(computeCodeHash(code))).toBeUndefined()
      await settle()
      const health = await fetch(`${server.url}/healthz`)
      expect(health.status).toBe(503)
      const body = (await health.json()) as {
        checks: { analyzer: { ok: boolean } }
        error: { message: string }
      }
      expect(body.checks.analyzer.ok).toBe(false)
      expect(body.error.message).toMatch(/^analyzer: /)
    } finally {
      rmSync(esbuildFiles.down, { force: true })
    }
    await settle()
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await upload('export default () => "back"')).status).toBe(201)
  })
})
