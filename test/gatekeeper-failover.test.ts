import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashGatekeeperStatement, registryDomain } from '../contracts/admissionTypedData.js'
import { deployRegistry } from '../contracts/artifacts.js'
import { compileContracts } from '../contracts/compileContracts.js'
import { compareAddresses } from '../contracts/quorumFulfillment.js'
import { findFreePort } from '../dev/findFreePort.js'
import { ANVIL_PRIVATE_KEYS, type AnvilInstance, createProvider, startAnvil } from '../dev/startAnvil.js'
import { keepWorkerAdmitted } from '../relayer/gatekeeper/keepWorkerAdmitted.js'
import { type RunningGatekeeper, startGatekeeper } from '../relayer/gatekeeper/startGatekeeper.js'
import { submitterOrder } from '../relayer/shared/submitterRank.js'
import { bytesToHex, utf8 } from '../runtime/bytes.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { captureLogs } from './support/captureLogs.js'
import { until } from './support/stackChecks.js'
import { startHttpServer } from './support/startHttpServer.js'

let anvil: AnvilInstance
let dir: string
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  await compileContracts()
  dir = await mkdtemp(join(tmpdir(), 'teefn-failover-'))
  anvil = await startAnvil()
}, 120_000)

afterAll(async () => {
  for (const close of closers.reverse()) await close()
  await anvil?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('gatekeeper failover', () => {
  it("when the statement's first submitter is down, the second submits after one failover delay", async () => {
    const provider = createProvider(anvil.rpcUrl)
    const admin = new Wallet(ANVIL_PRIVATE_KEYS[0]!, provider)
    const keys = [4, 5, 6].map((i) => new Wallet(ANVIL_PRIVATE_KEYS[i]!))
    const registry = await deployRegistry(admin)
    const registryAddress = await registry.getAddress()
    const addresses = keys.map((k) => k.address).sort(compareAddresses)
    await (await registry.setGatekeepers(addresses, 2)).wait()
    const measurement = bytesToHex(sha256(utf8('failover runtime')))
    await (await registry.setMeasurementPinned(measurement, true)).wait()
    await (await registry.renounceAdmin()).wait()

    const candidate = await createDevProvider({ keyFile: join(dir, 'candidate.key') })
    const served = await attestWorker({ provider: candidate, measurement: utf8('failover runtime') })
    const quoteServer = await startHttpServer((_request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(served))
    })
    closers.push(quoteServer.close)
    const worker = served.publicKeys.evmAddress
    await (await admin.sendTransaction({ to: worker, value: 10n ** 18n })).wait()
    const logs = captureLogs('failover')
    const stopAsking = keepWorkerAdmitted({
      rpcUrl: anvil.rpcUrl,
      registry: registryAddress,
      quoteUrl: `${quoteServer.url}/v1/attestation`,
      quote: served.quote,
      signer: candidate,
      reattestBeforeSeconds: 60,
      retrySeconds: 3_600,
      pollMs: 100,
      logger: logs.logger,
    })
    closers.push(stopAsking)
    const [request] = await until(
      'the request',
      async () => {
        const found = await registry.queryFilter(registry.filters.AdmissionRequested!())
        return found.length > 0 ? found : undefined
      },
      45_000,
    )

    // The statement every gatekeeper will derive from this request, and its submitter order.
    const block = (await provider.getBlock(request!.blockNumber))!
    const statement = {
      worker,
      quoteHash: (request as unknown as { args: { quoteHash: string } }).args.quoteHash,
      measurement,
      expiresAt: BigInt(block.timestamp + 3_600),
      nonce: 0n,
      deadline: BigInt(block.timestamp + 600),
    }
    const digest = hashGatekeeperStatement(
      registryDomain(anvil.chainId, registryAddress),
      'Admission',
      statement,
    )
    const order = submitterOrder(digest, addresses)
    const byAddress = new Map(keys.map((k) => [k.address, k]))
    // The first submitter stays down; the other two run, sign and exchange.
    const failoverMs = 3_000
    const ports = [await findFreePort(), await findFreePort()]
    const urls = ports.map((port) => `http://127.0.0.1:${port}`)
    const running: RunningGatekeeper[] = []
    for (const [index, address] of order.slice(1).entries()) {
      const gatekeeper = await startGatekeeper({
        rpcUrl: anvil.rpcUrl,
        registry: registryAddress,
        key: byAddress.get(address)!.privateKey,
        policy: { tcbStatuses: ['UpToDate'], allowDev: true, collateral: undefined },
        peers: urls.filter((_, i) => i !== index),
        host: '127.0.0.1',
        port: ports[index]!,
        confirmations: 0,
        admissionSeconds: 3_600,
        deadlineSeconds: 600,
        failoverMs,
        pollMs: 100,
        fromBlock: 0,
        logger: logs.logger,
      })
      running.push(gatekeeper)
      closers.push(gatekeeper.close)
    }
    const started = Date.now()
    await until(
      'the admission',
      async () => ((await registry.isWorkerActive(worker)) ? true : undefined),
      45_000,
    )
    const [approval] = await registry.queryFilter(registry.filters.GatekeeperApproval!())
    expect((await provider.getTransaction(approval!.transactionHash))?.from).toBe(order[1])
    // It waited its one failover delay, and the statement is the one predicted from the request.
    expect(Date.now() - started).toBeGreaterThanOrEqual(failoverMs)
    expect((await registry.workerInfo(worker))[1]).toBe(statement.expiresAt)
    await new Promise((resolve) => setTimeout(resolve, failoverMs + 500))
    const submitted = logs.lines
      .filter((line) => line.includes('admission submitted'))
      .map((line) => JSON.parse(line))
    expect(submitted.map((line) => line.rank)).toEqual([1])
    expect(await registry.workerNonce(worker)).toBe(1n)
  }, 90_000)
})
