import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Log, Wallet, ZeroAddress } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  gatekeeperSignersOf,
  type MeasurementPin,
  orderGatekeeperSignatures,
  registryDomain,
  signGatekeeperStatement,
} from '../contracts/admissionTypedData.js'
import { deployRegistry } from '../contracts/artifacts.js'
import { compileContracts } from '../contracts/compileContracts.js'
import type { TeefnRegistryContract } from '../contracts/contractTypes.js'
import { compareAddresses } from '../contracts/quorumFulfillment.js'
import { findFreePort } from '../dev/findFreePort.js'
import { ANVIL_PRIVATE_KEYS, type AnvilInstance, createProvider, startAnvil } from '../dev/startAnvil.js'
import { keepWorkerAdmitted } from '../relayer/gatekeeper/keepWorkerAdmitted.js'
import { statementFromJson } from '../relayer/gatekeeper/statementJson.js'
import { bytesToHex, utf8 } from '../runtime/bytes.js'
import { attestWorker, type WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { captureLogs } from './support/captureLogs.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

// Gatekeepers remove, by quorum, a worker whose attestation stops verifying (docs/protocol.md section 5,
// "Removal"). A and B run with allowDev (test-only, refused in production mode) so that a dev attestation, the
// only one this machine makes, passes their policy; C keeps the default and judges every dev worker bad.
const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
const runtime = 'teefn removal test runtime'
const children = new Set<ChildProcess>()
const closers: (() => Promise<unknown> | unknown)[] = []
let anvil: AnvilInstance
let dir: string

beforeAll(async () => {
  await compileContracts()
  dir = await mkdtemp(join(tmpdir(), 'teefn-removal-'))
  anvil = await startAnvil({ blockTime: 1 })
}, 120_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  for (const close of closers.reverse()) await close()
  await anvil?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** `teefn node --config <dir>/<name>.json --role gatekeeper`, the built CLI in its own process. */
function startGatekeeperNode(name: string, key: string) {
  const child = spawn(
    process.execPath,
    [bin, 'node', '--config', join(dir, `${name}.json`), '--role', 'gatekeeper'],
    {
      env: { ...process.env, TEEFN_TEE_PROVIDER: 'dev', GATEKEEPER_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
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

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

type Candidate = { worker: string; attestation: WorkerAttestation; path: string }

describe('removal without an admin: gatekeeper nodes, 2 of 3', () => {
  it('keeps a worker only one gatekeeper judges bad; removes it by quorum once its quote or its pin fails', async () => {
    const provider = createProvider(anvil.rpcUrl)
    const admin = new Wallet(ANVIL_PRIVATE_KEYS[0]!, provider)
    const keys = [1, 2, 3].map((i) => new Wallet(ANVIL_PRIVATE_KEYS[i]!))
    const [a, b, c] = keys.map((k) => k.address) as [string, string, string]
    const registry: TeefnRegistryContract = await deployRegistry(admin)
    const registryAddress = await registry.getAddress()
    const domain = registryDomain(anvil.chainId, registryAddress)
    await (await registry.setGatekeepers([a, b, c].sort(compareAddresses), 2)).wait()
    const measurement = bytesToHex(sha256(utf8(runtime)))
    await (await registry.setMeasurementPinned(measurement, true)).wait()
    await (await registry.renounceAdmin()).wait()
    expect(await registry.admin()).toBe(ZeroAddress)

    // Two candidate workers; what each serves at its quoteUrl can be swapped during the test.
    const serving = new Map<string, unknown>()
    const quotes: StartHttpServerReturnType = await startHttpServer((request, response) => {
      const body = serving.get(request.url ?? '')
      if (body === undefined) response.statusCode = 404
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(body ?? { error: 'not found' }))
    })
    closers.push(quotes.close)
    const logs = captureLogs('removal-candidates')
    const candidates: Candidate[] = []
    for (const name of ['one', 'two']) {
      const signer = await createDevProvider({ keyFile: join(dir, `${name}.key`) })
      const attestation = await attestWorker({ provider: signer, measurement: utf8(runtime) })
      const path = `/${name}/v1/attestation`
      serving.set(path, attestation)
      const worker = attestation.publicKeys.evmAddress
      await (await admin.sendTransaction({ to: worker, value: 10n ** 18n })).wait()
      closers.push(
        keepWorkerAdmitted({
          rpcUrl: anvil.rpcUrl,
          registry: registryAddress,
          quoteUrl: `${quotes.url}${path}`,
          quote: attestation.quote,
          signer,
          reattestBeforeSeconds: 60,
          retrySeconds: 3_600,
          pollMs: 250,
          logger: logs.logger,
        }),
      )
      candidates.push({ worker, attestation, path })
    }
    const [one, two] = candidates as [Candidate, Candidate]

    const ports = await Promise.all([0, 1, 2].map(() => findFreePort()))
    const urls = ports.map((port) => `http://127.0.0.1:${port}`)
    const recheckSeconds = 2
    for (const index of [0, 1, 2]) {
      const config = {
        gatekeeper: {
          key: 'env:GATEKEEPER_KEY',
          rpcUrl: anvil.rpcUrl,
          registry: registryAddress,
          allowDev: index !== 2,
          peers: urls.filter((_, i) => i !== index),
          port: ports[index],
          admissionSeconds: 3_600,
          deadlineSeconds: 600,
          failoverSeconds: 2,
          recheckSeconds,
          removeAfterFailures: 3,
          pollIntervalMs: 250,
          fromBlock: 0,
        },
      }
      await writeFile(join(dir, `gatekeeper-${index}.json`), JSON.stringify(config))
    }
    const nodes = keys.map((key, index) => startGatekeeperNode(`gatekeeper-${index}`, key.privateKey))
    const [nodeA, nodeB, nodeC] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    const allOutput = () => nodes.map((node) => node.output()).join('')

    for (const candidate of candidates) {
      await eventually('the admissions', async () => registry.isWorkerActive(candidate.worker))
    }
    expect(await registry.workerNonce(one.worker)).toBe(1n)

    // Only C judges the workers bad (no dev attestations): after three failed rechecks in a row it signs their
    // removal and posts it to A and B, who keep it but never add theirs: one signature, k - 1, nothing happens.
    await eventually('C to sign a removal', () => nodeC.output().includes('removal signed'))
    expect(nodeC.output()).toContain('DEV_NOT_ALLOWED')
    expect(nodeC.output()).toContain('admitted worker failed its recheck')
    const heldByA = async (worker: string) => {
      const response = await fetch(`${urls[0]}/v1/removals?worker=${worker}`)
      const { removals } = (await response.json()) as { removals: unknown[] }
      return removals.map((item) => {
        const parsed = statementFromJson('Removal', item)
        if (typeof parsed === 'string') throw new Error(parsed)
        return gatekeeperSignersOf(domain, 'Removal', parsed.statement, parsed.signatures)
      })
    }
    await eventually('A to hold C’s removal', async () => (await heldByA(one.worker)).length > 0)
    for (const signers of await heldByA(one.worker)) expect(signers).toEqual([c])
    await new Promise((resolve) => setTimeout(resolve, 3 * recheckSeconds * 1000))
    for (const candidate of candidates) {
      expect(await registry.isWorkerActive(candidate.worker)).toBe(true)
    }
    expect(await registry.queryFilter(registry.filters.WorkerRemoved!())).toEqual([])
    expect(`${nodeA.output()}${nodeB.output()}`).not.toContain('removal signed')

    // Worker two's served quote is replaced by one of another, unpinned build: A and B judge it bad at once
    // (a definite verdict), and two signatures remove it.
    serving.set(
      two.path,
      await attestWorker({
        provider: await createDevProvider({ keyFile: join(dir, 'two.key') }),
        measurement: utf8('a build nobody pinned'),
      }),
    )
    const removedTwo = await eventually('worker two to be removed', async () => {
      const [log] = await registry.queryFilter(registry.filters.WorkerRemoved!(two.worker))
      return log
    })
    await expectRemovedByQuorum(removedTwo, [a, b])
    expect(await registry.isWorkerActive(two.worker)).toBe(false)
    expect(await registry.isWorkerActive(one.worker)).toBe(true)
    // Signed on the first failed recheck: a definite verdict does not wait for a streak.
    expect(removalsSignedBy([nodeA, nodeB], two.worker)[0]).toMatchObject({
      code: 'MEASUREMENT_MISMATCH',
      definite: true,
      streak: 1,
    })

    // The gatekeepers unpin the measurement by quorum (A and B sign, anyone submits): worker one relied on it and
    // is removed by A and B without fetching anything.
    const pin: MeasurementPin = {
      measurement,
      pinned: false,
      nonce: await registry.governanceNonce(),
      deadline: BigInt((await provider.getBlock('latest'))!.timestamp + 600),
    }
    const pinSignatures = await Promise.all(
      keys.slice(0, 2).map((key) => signGatekeeperStatement(key, domain, 'MeasurementPin', pin)),
    )
    await (
      await registry.setMeasurementPinnedByQuorum(
        pin,
        orderGatekeeperSignatures(domain, 'MeasurementPin', pin, pinSignatures),
      )
    ).wait()
    expect(await registry.isMeasurementPinned(measurement)).toBe(false)
    const removedOne = await eventually('worker one to be removed', async () => {
      const [log] = await registry.queryFilter(registry.filters.WorkerRemoved!(one.worker))
      return log
    })
    await expectRemovedByQuorum(removedOne, [a, b])
    expect(await registry.isWorkerActive(one.worker)).toBe(false)
    // Unpinned (or, when a recheck straddled the unpinning, the served quote's measurement is no longer pinned).
    const signedOne = removalsSignedBy([nodeA, nodeB], one.worker)[0]
    expect(['MEASUREMENT_UNPINNED', 'MEASUREMENT_MISMATCH']).toContain(signedOne?.code)
    expect(signedOne).toMatchObject({ definite: true, streak: 1 })
    await eventually('the submitter to log', () => allOutput().includes('removal submitted'))
    // Removed for good: the workers ask again, and no gatekeeper signs their admission.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(await registry.isWorkerActive(one.worker)).toBe(false)
    expect(await registry.isWorkerActive(two.worker)).toBe(false)
    for (const key of keys) expect(allOutput()).not.toContain(key.privateKey.slice(2))
    for (const node of nodes) node.child.kill('SIGTERM')

    /** The `removal signed` log lines of `started` about `worker`, in order. */
    function removalsSignedBy(started: { output(): string }[], worker: string) {
      return started
        .flatMap((node) => node.output().split('\n'))
        .filter((line) => line.includes('"removal signed"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.worker === worker)
        .sort((x, y) => Number(x.time) - Number(y.time))
    }

    /** The removal came through `removeWorkerByQuorum`, approved by two gatekeepers or more, one of `signers`. */
    async function expectRemovedByQuorum(removed: Log, signers: string[]) {
      const receipt = (await provider.getTransactionReceipt(removed.transactionHash))!
      const approvals = receipt.logs
        .map((log) => registry.interface.parseLog(log))
        .filter((parsed) => parsed?.name === 'GatekeeperApproval')
      expect(approvals).toHaveLength(1)
      const approvers = [...(approvals[0]!.args.gatekeepers as string[])]
      expect(approvers.length).toBeGreaterThanOrEqual(2)
      expect(keys.map((key) => key.address)).toEqual(expect.arrayContaining(approvers))
      // C's signature alone had been held for rounds to no effect: one of the others tipped it.
      expect(approvers.filter((approver) => signers.includes(approver)).length).toBeGreaterThanOrEqual(1)
      const transaction = (await provider.getTransaction(removed.transactionHash))!
      expect(keys.map((key) => key.address)).toContain(transaction.from)
    }
  }, 180_000)
})
