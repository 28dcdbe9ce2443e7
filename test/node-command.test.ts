import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
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
    } finally {
      node.child.kill('SIGTERM')
    }
    expect(await node.exited).toBe(0)
    expect(node.output()).toContain('teefn node stopped')
    expect(node.output()).not.toContain('operator-key-123')
    expect(node.output()).not.toContain('metrics-token-456')
  })

  it('refuses a bad config with the field named, exit 1', async () => {
    const config = join(dir, 'bad.json')
    await writeFile(config, JSON.stringify({ redisUrl: redis.url, server: { port: 'eighty' } }))
    const node = startNodeProcess(config, {})
    expect(await node.exited).toBe(1)
    expect(node.output()).toMatch(/server\.port must be integer/)
  })

  it('runs the EVM loop from its config: a request on-chain is answered by the worker and the relayer', async () => {
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
      const oracle = await deployPriceOracle(admin, { registry: await registry.getAddress(), functionId })

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
              consumers: [await oracle.getAddress()],
              fromBlock: 0,
              // One local anvil: trusted knowingly (production lists several endpoints run by others).
              rpcQuorum: 1,
              submitterKey: 'env:TEEFN_TEST_SUBMITTER_KEY',
            },
          ],
        }),
      )
      node = startNodeProcess(config, {
        TEEFN_TEST_SUBMITTER_KEY: relayer.privateKey,
        TEEFN_DEV_KEY_FILE: keyFile,
      })
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
