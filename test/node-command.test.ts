import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { id, keccak256, toUtf8Bytes, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployPriceOracle, deployRegistry } from '../contracts/artifacts.js'
import { compileContracts } from '../contracts/compileContracts.js'
import { findFreePort } from '../dev/findFreePort.js'
import { createProvider, startAnvil, waitForReceipt } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import { loadExampleFunction } from './support/loadExampleFunction.js'
import { runTeefn } from './support/runTeefn.js'
import { startHttpServer } from './support/startHttpServer.js'

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
  args: readonly string[] = [],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'node', '--config', config, ...args], {
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
        server: { port, apiKeys: 'env:TEEFN_TEST_API_KEYS', metricsToken: 'env:TEEFN_TEST_METRICS_TOKEN' },
      }),
    )
    const node = startNodeProcess(config, {
      TEEFN_TEST_API_KEYS: 'operator-key-123',
      TEEFN_TEST_METRICS_TOKEN: 'metrics-token-456',
    })
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
      const invoked = await runTeefn([
        'invoke',
        codeHash,
        '--request',
        'node',
        '--server',
        url,
        '--allow-dev',
        '--json',
      ])
      expect(invoked.status).toBe(0)
      expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'OK', result: 'hello node' })
      expect((await fetch(`${url}/metrics`)).status).toBe(401)
      const scraped = await fetch(`${url}/metrics`, {
        headers: { authorization: 'Bearer metrics-token-456' },
      })
      expect(scraped.status).toBe(200)
      expect(await scraped.text()).toMatch(/teefn_invocations_total\{trigger="http",status="OK"\} 1/)
      // The built node serves the dashboard `npm run build` bundled.
      const page = await fetch(`${url}/ui`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      const module = await (await fetch(`${url}/ui/dashboard.js`)).text()
      expect(module).toBe(await readFile(join(process.cwd(), 'dist', 'server', 'ui', 'dashboard.js'), 'utf8'))
    } finally {
      node.child.kill('SIGTERM')
    }
    expect(await node.exited).toBe(0)
    expect(node.output()).toContain('teefn node stopped')
    expect(node.output()).not.toContain('operator-key-123')
    expect(node.output()).not.toContain('metrics-token-456')
  })

  it('splits by --role: an API process and a worker process, each with /healthz and /metrics', async () => {
    const [apiPort, workerPort] = [await findFreePort(), await findFreePort()]
    const config = join(dir, 'split.json')
    await writeFile(
      config,
      JSON.stringify({
        redisUrl: redis.url,
        worker: { threads: 1 },
        server: { apiKeys: 'env:TEEFN_TEST_API_KEYS' },
      }),
    )
    const env = { TEEFN_TEST_API_KEYS: 'operator-key-split' }
    const api = startNodeProcess(config, env, ['--role', 'api', '--port', String(apiPort)])
    const worker = startNodeProcess(config, env, ['--role', 'worker', '--port', String(workerPort)])
    const [apiUrl, workerUrl] = [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${workerPort}`]
    try {
      const workerHealth = (await (await waitForHealth(workerUrl)).json()) as {
        checks: Record<string, unknown>
      }
      expect(Object.keys(workerHealth.checks).sort()).toEqual(['redis', 'worker'])
      // The API process has no worker of its own: its health finds the other process's on the queue.
      const apiHealth = (await (await waitForHealth(apiUrl)).json()) as {
        checks: { worker: { detail: string } }
      }
      expect(apiHealth.checks.worker.detail).toMatch(/worker connection/)
      const entry = join(dir, 'split.ts')
      await writeFile(entry, "export default (request: string) => 'split ' + request")
      const deployed = await runTeefn([
        'deploy',
        entry,
        '--server',
        apiUrl,
        '--api-key',
        'operator-key-split',
        '--json',
      ])
      expect(deployed.status, deployed.stderr).toBe(0)
      const { codeHash } = JSON.parse(deployed.stdout)
      const invoked = await runTeefn([
        'invoke',
        codeHash,
        '--request',
        'x',
        '--server',
        apiUrl,
        '--allow-dev',
        '--json',
      ])
      expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'OK', result: 'split x' })
      // The worker process ran it: its own metrics count the invocation, the API's do not.
      const workerMetrics = await (await fetch(`${workerUrl}/metrics`)).text()
      expect(workerMetrics).toMatch(/teefn_invocations_total\{trigger="http",status="OK"\} 1/)
      const apiMetrics = await (await fetch(`${apiUrl}/metrics`)).text()
      expect(apiMetrics).not.toMatch(/teefn_invocations_total\{trigger="http",status="OK"\} 1/)
      // A worker-only process serves no API.
      expect((await fetch(`${workerUrl}/v1/attestation`)).status).toBe(404)
    } finally {
      api.child.kill('SIGTERM')
      worker.child.kill('SIGTERM')
    }
    expect(await api.exited).toBe(0)
    expect(await worker.exited).toBe(0)
  })

  it("refuses to start a worker whose key is not the node's worker (tee.workerAddress); starts the one that is", async () => {
    const keyFile = join(dir, 'fleet-key.json')
    const { publicKeys } = await createDevProvider({ keyFile })
    const write = async (workerAddress: string) => {
      const config = join(dir, `fleet-${workerAddress}.json`)
      await writeFile(
        config,
        JSON.stringify({ redisUrl: redis.url, worker: { threads: 1 }, tee: { workerAddress } }),
      )
      return config
    }
    const stranger = startNodeProcess(
      await write(Wallet.createRandom().address),
      { TEEFN_DEV_KEY_FILE: keyFile },
      ['--role', 'worker'],
    )
    expect(await stranger.exited).toBe(1)
    expect(stranger.output()).toContain(
      `This worker's enclave key is ${publicKeys.evmAddress}, not the node's worker`,
    )

    const port = await findFreePort()
    const member = startNodeProcess(await write(publicKeys.evmAddress), { TEEFN_DEV_KEY_FILE: keyFile }, [
      '--role',
      'worker',
      '--port',
      String(port),
    ])
    try {
      await waitForHealth(`http://127.0.0.1:${port}`)
    } finally {
      member.child.kill('SIGTERM')
    }
    expect(await member.exited).toBe(0)
  })

  it('refuses an unknown --role with exit 2 and the roles it knows', async () => {
    const result = await runTeefn(['node', '--role', 'api,miner'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('"miner" is not a role')
    expect(result.stderr).toContain('api, worker, relayer, gatekeeper or all')
  })

  it('refuses a bad config with the field named, exit 1', async () => {
    const config = join(dir, 'bad.json')
    await writeFile(config, JSON.stringify({ redisUrl: redis.url, server: { port: 'eighty' } }))
    const node = startNodeProcess(config, {})
    expect(await node.exited).toBe(1)
    expect(node.output()).toMatch(/server\.port must be integer/)
  })

  it('runs the EVM loop from its config without a consumer list: a consumer deployed after the node started is answered', async () => {
    const anvil = await startAnvil()
    const prices = await startHttpServer((_request, response) => response.end('{"price":2500.5}'))
    const connection = createRedisConnection({ url: redis.url })
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    const keyFile = join(dir, 'evm-worker-key.json')
    let node: ReturnType<typeof startNodeProcess> | undefined
    try {
      // The worker's identity exists before the node starts, so the registry admin can admit it.
      const tee = await createDevProvider({ keyFile })
      const attestation = await attestWorker({ provider: tee, measurement: toUtf8Bytes('teefn') })
      const [admin, relayer] = anvil.privateKeys.map((key) => new Wallet(key, provider)) as [Wallet, Wallet]
      await compileContracts()
      const registry = await deployRegistry(admin)
      const priceFeed = await loadExampleFunction(new URL('../functions/priceFeed/', import.meta.url).href)
      await createRedisFunctionStore({ redis: connection }).putFunction(priceFeed.code)
      const functionId = id('teefn.node.priceFeed')
      const mined = async (sending: Promise<{ hash: string }>) =>
        waitForReceipt(provider, (await sending).hash)
      await mined(registry.registerFunction(functionId, priceFeed.codeHash))
      const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 3600)
      await mined(registry.admitWorker(tee.publicKeys.evmAddress, keccak256(attestation.quote), expiresAt))
      const config = join(dir, 'evm-node.json')
      await writeFile(
        config,
        JSON.stringify({
          redisUrl: redis.url,
          worker: { threads: 1, allowHosts: [`127.0.0.1:${prices.port}`] },
          roles: ['worker', 'relayer'],
          evm: [
            {
              chainId: anvil.chainId,
              rpcUrl: anvil.rpcUrl,
              wsUrl: anvil.wsUrl,
              registry: await registry.getAddress(),
              // No consumer list: every consumer the registry holds as registered is served.
              fromBlock: 0,
              // One local anvil: trusted knowingly (production lists several endpoints run by others).
              rpcQuorum: 1,
              submitterKey: 'env:TEEFN_TEST_SUBMITTER_KEY',
            },
          ],
        }),
      )
      const opsPort = await findFreePort()
      node = startNodeProcess(
        config,
        { TEEFN_TEST_SUBMITTER_KEY: relayer.privateKey, TEEFN_DEV_KEY_FILE: keyFile },
        ['--port', String(opsPort)],
      )
      // The consumer comes after the node: its constructor signs it up, and the running node serves it.
      const oracle = await deployPriceOracle(admin, { registry: await registry.getAddress(), functionId })
      const request = JSON.stringify({ sources: [{ url: `${prices.url}/eth`, path: 'price' }] })
      await mined(oracle.requestPrice(toUtf8Bytes(request)))
      const deadline = Date.now() + 30_000
      let price = 0n
      while (price === 0n && Date.now() < deadline) {
        price = (await oracle.latestPrice()) as bigint
        if (price === 0n) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(price).toBe(250050000000n)
      expect(node.output()).toContain('rpcQuorum is 1')
      // Without the API, the process still serves /metrics: one delivery, timed, and the delivery queue's depth.
      const scrape = async () => (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()
      let metrics = await scrape()
      for (let i = 0; i < 50 && !metrics.includes('teefn_deliveries_total{'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        metrics = await scrape()
      }
      expect(metrics).toMatch(
        new RegExp(`teefn_deliveries_total\\{chain="${anvil.chainId}",outcome="fulfilled"\\} 1\n`),
      )
      expect(metrics).toMatch(
        new RegExp(`teefn_delivery_latency_seconds_count\\{chain="${anvil.chainId}"\\} 1\n`),
      )
      expect(metrics).toMatch(/teefn_queue_jobs\{queue="[^"]*deliveries[^"]*",state="waiting"\} 0/)
      expect(metrics).toMatch(/teefn_invocations_total\{trigger="evm",status="OK"\} 1/)
    } finally {
      node?.child.kill('SIGTERM')
      const exitCode = await node?.exited
      provider.destroy()
      connection.disconnect()
      await prices.close()
      await anvil.stop()
      expect(exitCode).toBe(0)
      expect(node?.output()).not.toContain(anvil.privateKeys[1]!.slice(2))
    }
  })
})
