import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findFreePort } from '../cli/dev/findFreePort.js'
import { type RedisServer, startRedisServer } from '../cli/dev/startRedisServer.js'
import { runTeefn } from './support/runTeefn.js'

const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
let redis: RedisServer
let dir: string

beforeAll(async () => {
  redis = await startRedisServer()
  dir = await mkdtemp(join(tmpdir(), 'teefn-node-'))
})

afterAll(async () => {
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

function startNodeProcess(
  config: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'node', '--config', config], {
    env: {
      ...process.env,
      TEEFN_TEE_PROVIDER: 'dev',
      TEEFN_DEV_KEY_FILE: join(dir, 'worker-key.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

async function waitForHealth(url: string, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(`${url}/healthz`)
      if (response.ok) return response
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/healthz did not answer in time`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('teefn node', () => {
  it('serves the API with a worker from one config, runs a function, and stops cleanly on SIGTERM', async () => {
    const port = await findFreePort()
    const config = join(dir, 'node.json')
    await writeFile(
      config,
      JSON.stringify({
        redisUrl: redis.url,
        worker: { threads: 1 },
        server: { port, apiKeys: 'env:TEEFN_TEST_API_KEYS' },
      }),
    )
    const node = startNodeProcess(config, { TEEFN_TEST_API_KEYS: 'operator-key-123' })
    const url = `http://127.0.0.1:${port}`
    try {
      await waitForHealth(url)
      const entry = join(dir, 'hello.ts')
      await writeFile(entry, "export default (request: string) => 'hello ' + request")
      const deployed = await runTeefn([
        'deploy',
        entry,
        '--server',
        url,
        '--api-key',
        'operator-key-123',
        '--json',
      ])
      expect(deployed.status).toBe(0)
      const { codeHash } = JSON.parse(deployed.stdout)
      const invoked = await runTeefn(['invoke', codeHash, '--request', 'node', '--server', url, '--json'])
      expect(invoked.status).toBe(0)
      expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'OK', result: 'hello node' })
    } finally {
      node.child.kill('SIGTERM')
    }
    expect(await node.exited).toBe(0)
    expect(node.output()).toContain('teefn node stopped')
    expect(node.output()).not.toContain('operator-key-123')
  })

  it('refuses a bad config with the field named, exit 1', async () => {
    const config = join(dir, 'bad.json')
    await writeFile(config, JSON.stringify({ redisUrl: redis.url, server: { port: 'eighty' } }))
    const node = startNodeProcess(config, {})
    expect(await node.exited).toBe(1)
    expect(node.output()).toMatch(/server\.port must be integer/)
  })
})
