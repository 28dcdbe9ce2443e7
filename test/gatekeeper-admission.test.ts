import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@noble/hashes/sha2.js'
import { Wallet, ZeroAddress } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployRegistry } from '../contracts/artifacts.js'
import { compileContracts } from '../contracts/compileContracts.js'
import type { TeefnRegistryContract } from '../contracts/contractTypes.js'
import { compareAddresses } from '../contracts/quorumFulfillment.js'
import { findFreePort } from '../dev/findFreePort.js'
import { ANVIL_PRIVATE_KEYS, type AnvilInstance, createProvider, startAnvil } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { submitterOrder } from '../relayer/shared/submitterRank.js'
import { bytesToHex, utf8 } from '../runtime/bytes.js'
import { attestationHash } from '../runtime/enclave/attestationHash.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { until } from './support/stackChecks.js'

// Gatekeepers here run with allowDev: a test-only setting (refused in production mode) so that a dev
// attestation, the only one this machine can make, can be admitted. Gatekeeper C keeps the default and refuses.
const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
const runtimeMeasurement = 'teefn gatekeeper test runtime'
const children = new Set<ChildProcess>()
let anvil: AnvilInstance
let redis: RedisServer
let dir: string
let registry: TeefnRegistryContract

type Started = { child: ChildProcess; output: () => string; address?: string }

/** `teefn node --config <dir>/<name>.json --role <role>`, the built CLI in its own process. */
function startTeefnNode(name: string, role: string, env: NodeJS.ProcessEnv): Started {
  const file = join(dir, `${name}.json`)
  const child = spawn(process.execPath, [bin, 'node', '--config', file, '--role', role], {
    env: {
      ...process.env,
      TEEFN_TEE_PROVIDER: 'dev',
      TEEFN_DEV_KEY_FILE: join(dir, 'candidate.key'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  child.once('exit', () => children.delete(child))
  return { child, output: () => output }
}

beforeAll(async () => {
  await compileContracts()
  dir = await mkdtemp(join(tmpdir(), 'teefn-gatekeepers-'))
  redis = await startRedisServer()
  // Blocks every second: chain time moves on by itself, as the re-attestation before expiry needs.
  anvil = await startAnvil({ blockTime: 1 })
}, 120_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await anvil?.stop()
  await redis?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('admission without an admin: gatekeeper nodes, 2 of 3', () => {
  it('admits a candidate on two signatures, not on one, refuses dev attestations by default, and re-attests before expiry', async () => {
    const provider = createProvider(anvil.rpcUrl)
    const admin = new Wallet(ANVIL_PRIVATE_KEYS[0]!, provider)
    const keys = [1, 2, 3].map((i) => new Wallet(ANVIL_PRIVATE_KEYS[i]!))
    registry = await deployRegistry(admin)
    const registryAddress = await registry.getAddress()
    const candidate = await createDevProvider({ keyFile: join(dir, 'candidate.key') })
    const worker = candidate.publicKeys.evmAddress
    await (await admin.sendTransaction({ to: worker, value: 10n ** 18n })).wait()
    const sorted = [...keys].sort((a, b) => compareAddresses(a.address, b.address))
    await (
      await registry.setGatekeepers(
        sorted.map((k) => k.address),
        2,
      )
    ).wait()
    const measurement = bytesToHex(sha256(utf8(runtimeMeasurement)))
    await (await registry.setMeasurementPinned(measurement, true)).wait()
    await (await registry.renounceAdmin()).wait()
    expect(await registry.admin()).toBe(ZeroAddress)

    const ports = await Promise.all([0, 1, 2, 3].map(() => findFreePort()))
    const gatekeeperUrls = ports.slice(0, 3).map((port) => `http://127.0.0.1:${port}`)
    // No redisUrl: a gatekeeper keeps no queue.
    const gatekeeperConfig = (index: number, allowDev: boolean) => ({
      gatekeeper: {
        key: 'env:GATEKEEPER_KEY',
        rpcUrl: anvil.rpcUrl,
        registry: registryAddress,
        allowDev,
        peers: gatekeeperUrls.filter((_, i) => i !== index),
        port: ports[index],
        admissionSeconds: 60,
        deadlineSeconds: 600,
        failoverSeconds: 3,
        pollIntervalMs: 250,
        fromBlock: 0,
      },
    })
    const start = (index: number) =>
      startTeefnNode(`gatekeeper-${index}`, 'gatekeeper', {
        GATEKEEPER_KEY: keys[index]!.privateKey,
      })
    for (const index of [0, 1, 2]) {
      await writeFile(
        join(dir, `gatekeeper-${index}.json`),
        JSON.stringify(gatekeeperConfig(index, index !== 2)),
      )
    }
    const candidatePort = ports[3]!
    await writeFile(
      join(dir, 'candidate.json'),
      JSON.stringify({
        redisUrl: redis.url,
        tee: { provider: 'dev', measurement: runtimeMeasurement },
        server: { port: candidatePort },
        admission: {
          quoteUrl: `http://127.0.0.1:${candidatePort}/v1/attestation`,
          rpcUrl: anvil.rpcUrl,
          registry: registryAddress,
          reattestBeforeSeconds: 54,
          retrySeconds: 600,
          pollIntervalMs: 250,
        },
      }),
    )

    // A (allowDev) and C (default: no dev attestations) run; B is down: one signature at most, k - 1.
    const a = start(0)
    const c = start(2)
    const node = startTeefnNode('candidate', 'api', {})
    await until('A to sign', () => a.output().includes('admission signed'), 45_000)
    await until('C to refuse', () => c.output().includes('admission refused'), 45_000)
    expect(c.output()).toContain('DEV_NOT_ALLOWED')
    expect(c.output()).not.toContain('admission signed')
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    expect(await registry.isWorkerActive(worker)).toBe(false)
    expect(await registry.workerNonce(worker)).toBe(0n)

    // B comes up, catches the request from block 0, signs; the two exchange signatures and one submits.
    const b = start(1)
    await until(
      'the candidate to be admitted',
      async () => (await registry.isWorkerActive(worker)) || undefined,
      45_000,
    )
    const approvals = await registry.queryFilter(registry.filters.GatekeeperApproval!())
    const approval = approvals[0] as unknown as {
      transactionHash: string
      args: { digest: string; gatekeepers: string[] }
    }
    expect([...approval.args.gatekeepers]).toEqual(
      [keys[0]!.address, keys[1]!.address].sort(compareAddresses),
    )
    // Submitted by the first in the statement's order among those holding it (C never signed: if it ranks first,
    // the next one took over after the failover delay).
    const order = submitterOrder(
      approval.args.digest,
      sorted.map((k) => k.address),
    )
    const expectedSubmitter = order.find((address) => address !== keys[2]!.address)
    expect((await provider.getTransaction(approval.transactionHash))?.from).toBe(expectedSubmitter)
    const [quoteHash, firstExpiry] = await registry.workerInfo(worker)
    expect(await registry.workerMeasurement(worker)).toBe(measurement)
    const served = (await (await fetch(`http://127.0.0.1:${candidatePort}/v1/attestation`)).json()) as {
      quote: string
    }
    expect(quoteHash).toBe(attestationHash(served.quote as `0x${string}`))
    // The submitter logs once its receipt is in, which may be after this process saw the admission.
    await until(
      'the submitter to log',
      () => `${a.output()}${b.output()}`.includes('admission submitted'),
      45_000,
    )

    // The admission lasts 60 s and the worker asks again 54 s before its end: a later expiry, no one involved.
    const renewed = await until(
      'the re-attestation',
      async () => {
        const [, expiresAt] = await registry.workerInfo(worker)
        return expiresAt > firstExpiry ? expiresAt : undefined
      },
      45_000,
    )
    expect(renewed).toBeGreaterThan(firstExpiry)
    expect(await registry.workerNonce(worker)).toBeGreaterThanOrEqual(2n)
    expect(node.output()).toContain('re-attestation requested before expiry')
    expect(`${a.output()}${b.output()}${c.output()}${node.output()}`).not.toContain(
      keys[0]!.privateKey.slice(2),
    )
    for (const started of [a, b, c, node]) started.child.kill('SIGTERM')
  }, 180_000)
})
