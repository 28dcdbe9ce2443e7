import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sha256 } from '@noble/hashes/sha2.js'
import { type JsonRpcProvider, Wallet, ZeroAddress } from 'ethers'
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
import { until } from './support/stackChecks.js'
import {
  type GatekeeperNode,
  startGatekeeperNode,
  stopGatekeeperNodes,
} from './support/startGatekeeperNode.js'
import { startHttpServer } from './support/startHttpServer.js'

// Gatekeepers remove, by quorum, a worker whose attestation stops verifying (docs/protocol.md section 5,
// "Removal"). A and B run with allowDev (test-only, refused in production mode) so that a dev attestation, the
// only one this machine makes, passes their policy; C keeps the default and judges every dev worker bad.
// The steps run in order on one chain.
const runtime = 'teefn removal test runtime'
const recheckSeconds = 2
const keys = [1, 2, 3].map((i) => new Wallet(ANVIL_PRIVATE_KEYS[i]!))
const [a, b, c] = keys.map((k) => k.address) as [string, string, string]
const closers: (() => Promise<unknown> | unknown)[] = []
/** What each candidate serves at its quoteUrl, by path: swapped during the test. */
const serving = new Map<string, unknown>()
type Candidate = { worker: string; attestation: WorkerAttestation; path: string }
let anvil: AnvilInstance
let dir: string
let provider: JsonRpcProvider
let registry: TeefnRegistryContract
let measurement: string
let gatekeeperUrls: string[]
let nodes: [GatekeeperNode, GatekeeperNode, GatekeeperNode]
let one: Candidate
let two: Candidate

beforeAll(async () => {
  await compileContracts()
  dir = await mkdtemp(join(tmpdir(), 'teefn-removal-'))
  anvil = await startAnvil({ blockTime: 1 })
  provider = createProvider(anvil.rpcUrl)
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0]!, provider)
  registry = await deployRegistry(admin)
  await (await registry.setGatekeepers([a, b, c].sort(compareAddresses), 2)).wait()
  measurement = bytesToHex(sha256(utf8(runtime)))
  await (await registry.setMeasurementPinned(measurement, true)).wait()
  await (await registry.renounceAdmin()).wait()
  const quotes = await startHttpServer((request, response) => {
    const body = serving.get(request.url ?? '')
    if (body === undefined) response.statusCode = 404
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify(body ?? { error: 'not found' }))
  })
  closers.push(quotes.close)
  // Two candidate workers, each asking for admission from its own key (and again once removed).
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
        registry: String(registry.target),
        quoteUrl: `${quotes.url}${path}`,
        quote: attestation.quote,
        signer,
        reattestBeforeSeconds: 60,
        // Not admitted (again): asks every 5 s.
        retrySeconds: 5,
        pollMs: 250,
        logger: logs.logger,
      }),
    )
    candidates.push({ worker, attestation, path })
  }
  ;[one, two] = candidates as [Candidate, Candidate]
  const ports = await Promise.all([0, 1, 2].map(() => findFreePort()))
  gatekeeperUrls = ports.map((port) => `http://127.0.0.1:${port}`)
  nodes = (await Promise.all([0, 1, 2].map(startGatekeeper))) as typeof nodes
  async function startGatekeeper(index: number) {
    const gatekeeper = {
      key: 'env:GATEKEEPER_KEY',
      rpcUrl: anvil.rpcUrl,
      registry: String(registry.target),
      allowDev: index !== 2,
      peers: gatekeeperUrls.filter((_, i) => i !== index),
      port: ports[index],
      admissionSeconds: 3_600,
      deadlineSeconds: 600,
      failoverSeconds: 2,
      recheckSeconds,
      removeAfterFailures: 3,
      pollIntervalMs: 250,
      fromBlock: 0,
    }
    const file = join(dir, `gatekeeper-${index}.json`)
    await writeFile(file, JSON.stringify({ gatekeeper }))
    return startGatekeeperNode(file, keys[index]!.privateKey)
  }
}, 120_000)

afterAll(async () => {
  stopGatekeeperNodes()
  for (const close of closers.reverse()) await close()
  await anvil?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** The `removal signed` log lines of `started` about `worker`, oldest first. */
const removalsSignedBy = (started: GatekeeperNode[], worker: string) =>
  started
    .flatMap((node) => node.logged('removal signed'))
    .filter((line) => line.worker === worker)
    .sort((x, y) => Number(x.time) - Number(y.time))

/** The signers of each `Removal` of `worker` gatekeeper A holds (its own and posted by peers). */
async function removalSignersHeldByA(worker: string): Promise<string[][]> {
  const response = await fetch(`${gatekeeperUrls[0]}/v1/removals?worker=${worker}`)
  const { removals } = (await response.json()) as { removals: unknown[] }
  const domain = registryDomain(anvil.chainId, String(registry.target))
  return removals.map((item) => {
    const parsed = statementFromJson('Removal', item)
    if (typeof parsed === 'string') throw new Error(parsed)
    return gatekeeperSignersOf(domain, 'Removal', parsed.statement, parsed.signatures)
  })
}

/** Waits for `worker`'s `WorkerRemoved`; checks it came with one `GatekeeperApproval` of 2+ gatekeepers. */
async function removedByQuorum(worker: string): Promise<string[]> {
  const removed = await until(
    'the removal',
    async () => {
      const [log] = await registry.queryFilter(registry.filters.WorkerRemoved!(worker))
      return log
    },
    45_000,
  )
  const receipt = (await provider.getTransactionReceipt(removed.transactionHash))!
  const approvals = receipt.logs
    .map((log) => registry.interface.parseLog(log))
    .filter((parsed) => parsed?.name === 'GatekeeperApproval')
  expect(approvals).toHaveLength(1)
  const approvers = [...(approvals[0]!.args.gatekeepers as string[])]
  expect(approvers.length).toBeGreaterThanOrEqual(2)
  expect([a, b, c]).toEqual(expect.arrayContaining(approvers))
  // Submitted by a gatekeeper, with `removeWorkerByQuorum`.
  const transaction = (await provider.getTransaction(removed.transactionHash))!
  expect([a, b, c]).toContain(transaction.from)
  expect(transaction.data.slice(0, 10)).toBe('0xb9f384b1')
  expect(await registry.isWorkerActive(worker)).toBe(false)
  return approvers
}

describe('removal without an admin: gatekeeper nodes, 2 of 3', () => {
  it('admits both candidates (A and B sign, C refuses dev attestations); the admin has renounced', async () => {
    expect(await registry.admin()).toBe(ZeroAddress)
    for (const candidate of [one, two]) {
      await until('the admission', () => registry.isWorkerActive(candidate.worker), 45_000)
      expect(await registry.workerNonce(candidate.worker)).toBe(1n)
    }
  }, 60_000)

  it('keeps a worker only C judges bad: C signs its removal after three failed rechecks, alone', async () => {
    const [, , nodeC] = nodes
    await until('C to sign a removal', () => removalsSignedBy([nodeC], one.worker)[0], 45_000)
    // Not a definite verdict: C signed only after failing three rechecks in a row.
    expect(removalsSignedBy([nodeC], one.worker)[0]).toMatchObject({
      code: 'DEV_NOT_ALLOWED',
      definite: false,
      streak: 3,
    })
    expect(nodeC.logged('admitted worker failed its recheck')[0]).toMatchObject({ streak: 1 })
    // C posted it to A, who keeps it (C's signature only) and adds none.
    await until(
      'A to hold C’s removal',
      async () => (await removalSignersHeldByA(one.worker)).length > 0,
      45_000,
    )
    for (const signers of await removalSignersHeldByA(one.worker)) expect(signers).toEqual([c])
    await sleep(3 * recheckSeconds * 1000)
    for (const candidate of [one, two]) expect(await registry.isWorkerActive(candidate.worker)).toBe(true)
    expect(await registry.queryFilter(registry.filters.WorkerRemoved!())).toEqual([])
    expect(removalsSignedBy(nodes.slice(0, 2), one.worker)).toEqual([])
  }, 60_000)

  it('a quote unreachable for one recheck interval removes nobody: fewer than three failures in a row', async () => {
    const [nodeA, nodeB] = nodes
    serving.delete(one.path)
    await sleep(recheckSeconds * 1000 + 500)
    serving.set(one.path, one.attestation)
    await until(
      'A to miss the quote',
      () =>
        nodeA.logged('admitted worker failed its recheck').find((line) => line.code === 'QUOTE_UNREACHABLE'),
      45_000,
    )
    await sleep(2 * recheckSeconds * 1000)
    expect(await registry.isWorkerActive(one.worker)).toBe(true)
    expect(removalsSignedBy([nodeA, nodeB], one.worker)).toEqual([])
  }, 60_000)

  it('removes, by quorum, a worker whose served quote is replaced by one of an unpinned build', async () => {
    const signer = await createDevProvider({ keyFile: join(dir, 'two.key') })
    serving.set(
      two.path,
      await attestWorker({ provider: signer, measurement: utf8('a build nobody pinned') }),
    )
    await removedByQuorum(two.worker)
    // Signed on the first failed recheck: a definite verdict does not wait for a streak.
    expect(removalsSignedBy(nodes.slice(0, 2), two.worker)[0]).toMatchObject({
      code: 'MEASUREMENT_MISMATCH',
      definite: true,
      streak: 1,
    })
    expect(await registry.isWorkerActive(one.worker)).toBe(true)
  }, 60_000)

  it('removes, by quorum, a worker whose measurement pin the gatekeepers removed; neither comes back', async () => {
    // The gatekeepers unpin the measurement by quorum (A and B sign; anyone submits).
    const pin: MeasurementPin = {
      measurement,
      pinned: false,
      nonce: await registry.governanceNonce(),
      deadline: BigInt((await provider.getBlock('latest'))!.timestamp + 600),
    }
    const domain = registryDomain(anvil.chainId, String(registry.target))
    const signatures = await Promise.all(
      keys.slice(0, 2).map((key) => signGatekeeperStatement(key, domain, 'MeasurementPin', pin)),
    )
    const submitter = new Wallet(ANVIL_PRIVATE_KEYS[5]!, provider)
    await (
      await registry
        .connect(submitter)
        .setMeasurementPinnedByQuorum(
          pin,
          orderGatekeeperSignatures(domain, 'MeasurementPin', pin, signatures),
        )
    ).wait()
    expect(await registry.isMeasurementPinned(measurement)).toBe(false)
    await removedByQuorum(one.worker)
    // Unpinned (or, when a recheck straddled the unpinning, the served quote's measurement is no longer pinned).
    const signed = removalsSignedBy(nodes.slice(0, 2), one.worker)[0]
    expect(['MEASUREMENT_UNPINNED', 'MEASUREMENT_MISMATCH']).toContain(signed?.code)
    expect(signed).toMatchObject({ definite: true, streak: 1 })
    const output = () => nodes.map((node) => node.output()).join('')
    await until('the submitter to log', () => output().includes('removal submitted'), 45_000)
    // The removed workers ask again, and A (whose policy admitted them before) refuses both.
    const refusedByA = (worker: string, code: string) =>
      until(
        `A to refuse ${worker}`,
        () =>
          nodes[0].logged('admission refused').find((line) => line.worker === worker && line.code === code),
        45_000,
      )
    await refusedByA(one.worker, 'MEASUREMENT_MISMATCH')
    await refusedByA(two.worker, 'QUOTE_HASH_MISMATCH')
    await sleep(2_000)
    for (const candidate of [one, two]) expect(await registry.isWorkerActive(candidate.worker)).toBe(false)
    for (const key of keys) expect(output()).not.toContain(key.privateKey.slice(2))
  }, 60_000)
})
