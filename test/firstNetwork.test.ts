import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Contract, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findFreePort } from '../dev/findFreePort.js'
import { type AnvilInstance, createProvider, startAnvil, waitForReceipt } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

/**
 * The README's first network, as a user runs it: from an empty folder, only the `teefn` the project installed
 * and npm, each step reading what the one before printed. anvil, Redis and the price API are the test's.
 */

/** The environment of a user's shell: none of the npm_* variables of the npm that may be running vitest. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))

let anvil: AnvilInstance
let redis: RedisServer
let prices: StartHttpServerReturnType
let work: string
let project: string
/** The project's own `teefn` (`npx teefn`): the built CLI of this checkout, linked by `npm install`. */
let teefnBin: string
const outputs: string[] = []

beforeAll(async () => {
  ;[anvil, redis, prices] = await Promise.all([
    startAnvil(),
    startRedisServer(),
    startHttpServer((_request, response) => response.end('{"price":2500.5}')),
  ])
  work = mkdtempSync(join(tmpdir(), 'teefn-firstnet-'))
  project = join(work, 'price-feed')
  teefnBin = join(project, 'node_modules', 'teefn', 'bin', 'teefn.js')
})

afterAll(async () => {
  await Promise.all([anvil?.stop(), redis?.stop(), prices?.close()])
  if (work) rmSync(work, { recursive: true, force: true })
  for (const key of anvil.privateKeys.slice(0, 3)) {
    for (const output of outputs) expect(output).not.toContain(key.slice(2))
  }
})

type Ran = { status: number | null; stdout: string; stderr: string }

function npm(args: string[]): Promise<Ran> {
  return new Promise((done) => {
    execFile('npm', args, { cwd: project, env: userEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    })
  })
}

/** `npx teefn ...` in the project, the admin's key in the environment. */
async function teefn(args: string[]): Promise<Ran> {
  const result = await runTeefn(args, {
    bin: teefnBin,
    cwd: project,
    timeoutMs: 90_000,
    env: { ...userEnv, TEEFN_RPC_URL: anvil.rpcUrl, ADMIN_KEY: anvil.privateKeys[0] },
  })
  outputs.push(result.stdout, result.stderr)
  return result
}

async function teefnJson<T>(args: string[]): Promise<T> {
  const { status, stdout, stderr } = await teefn([...args, '--json'])
  expect(status, stderr).toBe(0)
  return JSON.parse(stdout) as T
}

async function waitForHealth(url: string, node: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    if (Date.now() > deadline || node.exitCode !== null) {
      throw new Error(`${url}/healthz did not answer:\n${outputs.slice(-6).join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the first network: init, test, registry, function, consumer from its .sol, node, admit', () => {
  it('answers the new consumer on-chain, from what the commands print', async () => {
    const init = await runTeefn(['init', project], { cwd: work, timeoutMs: 30_000, env: userEnv })
    expect(init.status, init.stderr).toBe(0)
    const install = await npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'])
    expect(install.status, install.stderr).toBe(0)
    const tested = await npm(['test'])
    expect(tested.status, `${tested.stdout}\n${tested.stderr}`).toBe(0)

    const { registry } = await teefnJson<{ registry: string }>([
      'chain',
      'deploy-registry',
      '--key',
      'env:ADMIN_KEY',
    ])
    expect(registry).toMatch(/^0x[0-9a-fA-F]{40}$/)

    // The node's config names the registry and no consumers: it serves whichever registers itself.
    const port = await findFreePort()
    const server = `http://127.0.0.1:${port}`
    const config = join(project, 'teefn.json')
    writeFileSync(
      config,
      JSON.stringify({
        redisUrl: redis.url,
        worker: { threads: 1, allowHosts: [`127.0.0.1:${prices.port}`] },
        server: { port },
        evm: [
          {
            chainId: anvil.chainId,
            rpcUrl: anvil.rpcUrl,
            wsUrl: anvil.wsUrl,
            registry,
            rpcQuorum: 1,
            submitterKey: 'env:SUBMITTER_KEY',
          },
        ],
      }),
    )
    const node = spawn(process.execPath, [teefnBin, 'node', '--config', config], {
      cwd: project,
      env: {
        ...userEnv,
        TEEFN_LOG_LEVEL: 'warn',
        TEEFN_TEE_PROVIDER: 'dev',
        TEEFN_DEV_KEY_FILE: join(work, 'worker-key.json'),
        SUBMITTER_KEY: anvil.privateKeys[2],
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    node.stdout?.on('data', (chunk) => outputs.push(String(chunk)))
    node.stderr?.on('data', (chunk) => outputs.push(String(chunk)))
    const exited = new Promise<number | null>((resolve) => node.once('exit', (code) => resolve(code)))
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    try {
      await waitForHealth(server, node)

      const registered = await teefnJson<{ functionId: string; codeHash: string; uploadedTo: string }>([
        'chain',
        'register',
        'src/index.ts',
        '--registry',
        registry,
        '--server',
        server,
        '--key',
        'env:ADMIN_KEY',
      ])
      expect(registered.uploadedTo).toBe(server)
      const { functionId } = registered

      const deployed = await teefnJson<{ consumer: string; contract: string }>([
        'chain',
        'deploy-consumer',
        'contracts/PriceConsumer.sol',
        '--registry',
        registry,
        '--function-id',
        functionId,
        '--key',
        'env:ADMIN_KEY',
      ])
      expect(deployed.contract).toBe('PriceConsumer')
      const { consumer } = deployed

      const admitted = await teefnJson<{ worker: string }>([
        'chain',
        'admit',
        '--registry',
        registry,
        '--server',
        server,
        '--allow-dev',
        '--key',
        'env:ADMIN_KEY',
      ])
      expect(admitted.worker).toMatch(/^0x[0-9a-fA-F]{40}$/)

      const priceConsumer = new Contract(
        consumer,
        [
          'function requestPrice(string url) returns (bytes32)',
          'function latestPrice() view returns (uint256)',
        ],
        new Wallet(anvil.privateKeys[1]!, provider),
      )
      const sent = await priceConsumer.getFunction('requestPrice')(`${prices.url}/eth`)
      await waitForReceipt(provider, sent.hash)
      const deadline = Date.now() + 60_000
      let price = 0n
      while (price === 0n && Date.now() < deadline) {
        price = await priceConsumer.getFunction('latestPrice')()
        if (price === 0n) await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(price).toBe(250050000000n)
    } finally {
      provider.destroy()
      node.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 240_000)

  it('names a compile error by file and line (exit 1) and a missing file (exit 2)', async () => {
    const broken = join(project, 'contracts', 'Broken.sol')
    writeFileSync(
      broken,
      `// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract Broken {\n  uint x\n}\n`,
    )
    const args = [
      '--registry',
      anvil.accounts[0]!,
      '--function-id',
      `0x${'11'.repeat(32)}`,
      '--key',
      'env:ADMIN_KEY',
    ]
    const failed = await teefn(['chain', 'deploy-consumer', 'contracts/Broken.sol', ...args])
    expect(failed.status).toBe(1)
    expect(failed.stderr).toContain("teefn: contracts/Broken.sol:5:1: ParserError: Expected ';' but got '}'")

    const missing = await teefn(['chain', 'deploy-consumer', 'contracts/Nowhere.sol', ...args])
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('contracts/Nowhere.sol')
  }, 60_000)
})
