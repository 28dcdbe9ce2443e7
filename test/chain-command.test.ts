import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toUtf8Bytes, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachConsumer, attachPriceOracle, loadArtifact } from '../contracts/artifacts.js'
import { findFreePort } from '../dev/findFreePort.js'
import { type AnvilInstance, createProvider, startAnvil, waitForReceipt } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
const priceFeed = fileURLToPath(new URL('../functions/priceFeed/index.ts', import.meta.url))
let anvil: AnvilInstance
let redis: RedisServer
let prices: StartHttpServerReturnType
let dir: string
let keyFile: string
/** Every output of every run: none may hold a private key. */
const outputs: string[] = []

beforeAll(async () => {
  ;[anvil, redis, prices] = await Promise.all([
    startAnvil(),
    startRedisServer(),
    startHttpServer((_request, response) => response.end('{"price":2500.5}')),
  ])
  dir = await mkdtemp(join(tmpdir(), 'teefn-chain-'))
  keyFile = join(dir, 'admin.key')
  await writeFile(keyFile, `${anvil.privateKeys[0]}\n`)
})

afterAll(async () => {
  await Promise.all([anvil?.stop(), redis?.stop(), prices?.close()])
  await rm(dir, { recursive: true, force: true })
  for (const key of anvil.privateKeys.slice(0, 3)) {
    for (const output of outputs) expect(output).not.toContain(key.slice(2))
  }
})

/** `teefn chain ...` against this file's anvil, with the admin's key file (`show` takes none). */
async function chain(
  args: string[],
  { key = args[0] !== 'show', env = {} }: { key?: boolean; env?: NodeJS.ProcessEnv } = {},
) {
  const result = await runTeefn(
    ['chain', ...args, '--rpc', anvil.rpcUrl, ...(key ? ['--key', keyFile] : [])],
    {
      timeoutMs: 60_000,
      env: { ...process.env, ...env },
    },
  )
  outputs.push(result.stdout, result.stderr)
  return result
}

async function chainJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const { status, stdout, stderr } = await chain([...args, '--json'])
  expect(status, stderr).toBe(0)
  return JSON.parse(stdout) as T
}

function startNode(
  config: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'node', '--config', config], {
    env: { ...process.env, TEEFN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => outputs.push(String(chunk)))
  child.stderr?.on('data', (chunk) => outputs.push(String(chunk)))
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) }
}

async function waitForHealth(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${url}/healthz did not answer in time`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('teefn chain', () => {
  it('deploys, registers, admits a running node and gets a request fulfilled, from what the commands print', async () => {
    const deployed = await chainJson<{
      registry: string
      admin: string
      transaction: { contractAddress: string }
    }>(['deploy-registry'])
    expect(deployed.registry).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(deployed.admin).toBe(anvil.accounts[0])
    expect(deployed.transaction.contractAddress).toBe(deployed.registry)
    const { registry } = deployed

    // The functionId comes first: the PriceOracle's constructor takes it.
    const registered = await chainJson<{ functionId: string; codeHash: string; owner: string; name: string }>(
      ['register', priceFeed, '--registry', registry, '--name', 'teefn.chain.priceFeed'],
    )
    expect(registered).toMatchObject({ name: 'teefn.chain.priceFeed', owner: anvil.accounts[0] })
    const { functionId, codeHash } = registered
    const built = await runTeefn(['build', priceFeed, '-o', join(dir, 'priceFeed.js'), '--json'])
    expect(JSON.parse(built.stdout).codeHash).toBe(codeHash)

    // Plain output: the address alone on stdout, for scripts.
    const consumerRun = await chain(['deploy-consumer', '--registry', registry, '--function-id', functionId])
    expect(consumerRun.status, consumerRun.stderr).toBe(0)
    const consumer = consumerRun.stdout.trim()
    expect(consumer).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(consumerRun.stderr).toContain(`deployed PriceOracle ${consumer}`)

    const shown = await chainJson(['show', 'function', functionId, '--registry', registry])
    expect(shown).toMatchObject({ registered: true, codeHash, owner: anvil.accounts[0], locked: false })

    const port = await findFreePort()
    const server = `http://127.0.0.1:${port}`
    const config = join(dir, 'node.json')
    await writeFile(
      config,
      JSON.stringify({
        redisUrl: redis.url,
        worker: { threads: 1, allowHosts: [`127.0.0.1:${prices.port}`] },
        server: { port, apiKeys: 'env:TEEFN_TEST_API_KEYS' },
        evm: [
          {
            chainId: anvil.chainId,
            rpcUrl: anvil.rpcUrl,
            wsUrl: anvil.wsUrl,
            registry,
            consumers: [consumer],
            fromBlock: 0,
            rpcQuorum: 1,
            submitterKey: 'env:TEEFN_TEST_SUBMITTER_KEY',
          },
        ],
      }),
    )
    const node = startNode(config, {
      TEEFN_TEE_PROVIDER: 'dev',
      TEEFN_DEV_KEY_FILE: join(dir, 'worker-key.json'),
      TEEFN_TEST_API_KEYS: 'operator-key-chain',
      TEEFN_TEST_SUBMITTER_KEY: anvil.privateKeys[2],
    })
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    try {
      await waitForHealth(server)
      const uploaded = await runTeefn([
        'deploy',
        priceFeed,
        '--server',
        server,
        '--api-key',
        'operator-key-chain',
        '--json',
      ])
      expect(uploaded.status, uploaded.stderr).toBe(0)
      expect(JSON.parse(uploaded.stdout).codeHash).toBe(codeHash)

      // A dev worker is refused unless the admin accepts dev attestations.
      const refused = await chain(['admit', '--registry', registry, '--server', server])
      expect(refused.status).toBe(1)
      expect(refused.stdout).toContain('attestation refused: DEV_NOT_ALLOWED')

      const admitted = await chainJson<{
        worker: string
        attestationHash: string
        expiresAt: number
        attestation: { kind: string }
      }>(['admit', '--registry', registry, '--server', server, '--allow-dev', '--expires-in', '2d'])
      expect(admitted.attestation.kind).toBe('dev')
      const attestation = (await (await fetch(`${server}/v1/attestation`)).json()) as {
        publicKeys: { evmAddress: string }
      }
      expect(admitted.worker).toBe(attestation.publicKeys.evmAddress)
      const worker = await chainJson(['show', 'worker', admitted.worker, '--registry', registry])
      expect(worker).toMatchObject({
        admitted: true,
        active: true,
        attestationHash: admitted.attestationHash,
      })
      expect(worker.expiresAt).toBe(admitted.expiresAt)

      const oracle = attachPriceOracle(consumer, new Wallet(anvil.privateKeys[0]!, provider))
      const request = JSON.stringify({ sources: [{ url: `${prices.url}/eth`, path: 'price' }] })
      await waitForReceipt(provider, (await oracle.requestPrice(toUtf8Bytes(request))).hash)
      const deadline = Date.now() + 30_000
      let price = 0n
      while (price === 0n && Date.now() < deadline) {
        price = await oracle.latestPrice()
        if (price === 0n) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(price).toBe(250050000000n)
    } finally {
      provider.destroy()
      node.child.kill('SIGTERM')
    }
    expect(await node.exited).toBe(0)
  })

  it('--dry-run prints the call and its gas and sends nothing (the nonce stays)', async () => {
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    try {
      const before = await provider.getTransactionCount(anvil.accounts[0]!, 'pending')
      const plan = await chainJson(['deploy-registry', '--dry-run'])
      expect(plan).toMatchObject({
        dryRun: true,
        chainId: anvil.chainId,
        from: anvil.accounts[0],
        to: null,
        contract: 'TeefnRegistry',
        function: 'constructor',
        args: [anvil.accounts[0]],
        nonce: before,
      })
      expect(Number(plan.estimatedGas)).toBeGreaterThan(100_000)
      expect(await provider.getCode(plan.contractAddress as string)).toBe('0x')

      const registry = (await chainJson<{ registry: string }>(['deploy-registry'])).registry
      const text = await chain(['register', priceFeed, '--registry', registry, '--dry-run'])
      expect(text.status, text.stderr).toBe(0)
      expect(text.stdout).toMatch(/^dry run: nothing sent\n/)
      expect(text.stdout).toMatch(
        /call +TeefnRegistry\.registerFunction\("0x[0-9a-f]{64}", "0x[0-9a-f]{64}"\)/,
      )
      expect(text.stdout).toMatch(/estimated gas +\d+/)
      expect(text.stdout).toMatch(/name +priceFeed/)
      expect(await provider.getTransactionCount(anvil.accounts[0]!, 'pending')).toBe(before + 1)

      // Any compiled artifact: its constructor's registry, hookGasLimit and requestTimeout come from the flags.
      const artifact = join(dir, 'TestConsumer.json')
      await writeFile(artifact, JSON.stringify(loadArtifact('TestConsumer')))
      const own = await chainJson<{ consumer: string; contract: string }>([
        'deploy-consumer',
        '--registry',
        registry,
        '--contract',
        artifact,
        '--request-timeout',
        '60',
      ])
      expect(own.contract).toBe('TestConsumer')
      expect(await provider.getCode(own.consumer)).not.toBe('0x')
      expect(await attachConsumer(own.consumer, provider).requestTimeout()).toBe(60n)
    } finally {
      provider.destroy()
    }
  })

  it('decodes reverts to the registry errors, and names an unreachable RPC or a missing key', async () => {
    const { registry } = await chainJson<{ registry: string }>(['deploy-registry'])
    const { functionId } = await chainJson<{ functionId: string }>([
      'register',
      priceFeed,
      '--registry',
      registry,
    ])

    const again = await chain(['register', priceFeed, '--registry', registry])
    expect(again.status).toBe(1)
    expect(again.stderr).toContain(`reverted: FunctionAlreadyRegistered(${functionId})`)
    expect(again.stderr).toMatch(/Hint: Pick another id/)

    // Another key: not the owner, not the admin.
    const other = { TEEFN_TEST_OTHER_KEY: anvil.privateKeys[1] }
    const stranger = await chain(
      ['lock', '--function-id', functionId, '--registry', registry, '--key', 'env:TEEFN_TEST_OTHER_KEY'],
      {
        key: false,
        env: other,
      },
    )
    expect(stranger.status).toBe(1)
    expect(stranger.stderr).toContain(`NotFunctionOwner(${functionId}, ${anvil.accounts[1]})`)

    // A bundle teefn build wrote is registered byte for byte: the codeHash build printed.
    const v2 = join(dir, 'v2.ts')
    await writeFile(v2, "export default (request: string) => 'v2 ' + request")
    const built = await runTeefn(['build', v2, '-o', join(dir, 'v2.bundle.js'), '--json'])
    const upgraded = await chainJson<{ codeHash: string }>([
      'upgrade',
      join(dir, 'v2.bundle.js'),
      '--function-id',
      functionId,
      '--registry',
      registry,
    ])
    expect(upgraded.codeHash).toBe(JSON.parse(built.stdout).codeHash)
    const shown = await chain(['show', 'function', functionId, '--registry', registry])
    expect(shown.stdout).toContain(`codeHash         ${upgraded.codeHash}\n`)
    expect(shown.stdout).toContain('locked           false\n')

    const locked = await chainJson(['lock', '--function-id', functionId, '--registry', registry])
    expect(locked).toMatchObject({ functionId, locked: true })
    const relocked = await chain(['lock', '--function-id', functionId, '--registry', registry, '--dry-run'])
    expect(relocked.status).toBe(1)
    expect(relocked.stderr).toContain('FunctionIsLocked')

    const port = await findFreePort()
    const unreachable = await runTeefn([
      'chain',
      'show',
      'function',
      functionId,
      '--registry',
      registry,
      '--rpc',
      `http://127.0.0.1:${port}`,
    ])
    expect(unreachable.status).toBe(1)
    expect(unreachable.stderr).toContain(`Cannot reach the JSON-RPC endpoint http://127.0.0.1:${port}`)

    const nowhere = await chain(['show', 'worker', anvil.accounts[1]!, '--registry', anvil.accounts[1]!])
    expect(nowhere.status).toBe(1)
    expect(nowhere.stderr).toContain('No contract at registry')

    const keyless = await chain(['deploy-registry'], { key: false })
    expect(keyless.status).toBe(2)
    expect(keyless.stderr).toContain('pass --key <file|env:NAME>')

    const unset = await chain(['deploy-registry', '--key', 'env:TEEFN_TEST_UNSET_KEY'], { key: false })
    expect(unset.status).toBe(2)
    expect(unset.stderr).toContain('TEEFN_TEST_UNSET_KEY is not set')
  })
})
