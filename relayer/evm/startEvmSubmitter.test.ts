import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Job, Queue } from 'bullmq'
import { id, keccak256 } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { createLogger } from '../../runtime/logging/createLogger.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { DeliveryJobData, RequestJobData } from '../../runtime/queue/jobs.js'
import { openDeliveryQueue, openRequestQueue } from '../../runtime/queue/queues.js'
import { localModulesOf, modulesImporting } from '../../test/support/localModulesOf.js'
import {
  deployTeefnContracts,
  encodePrice,
  mined,
  type TeefnContractsFixture,
} from '../../test/support/teefnContracts.js'
import type { FulfilmentResult } from './createFulfilmentSender.js'
import {
  type EvmSubmitter,
  type StartEvmSubmitterParameters,
  startEvmSubmitter,
} from './startEvmSubmitter.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let redisServer: RedisServer
let connection: Redis
let dir: string
let worker: TeeProvider
let stranger: TeeProvider
let deliveries: Queue<DeliveryJobData, FulfilmentResult>
const submitters: EvmSubmitter[] = []
const logger = createLogger({ name: 'relayer-evm-test', level: 'silent' })
const submitterKeyIndex = 5

beforeAll(async () => {
  ;[anvil, redisServer] = await Promise.all([startAnvil(), startRedisServer()])
  f = await deployTeefnContracts(anvil)
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-submitter-'))
  worker = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  stranger = await createDevProvider({ keyFile: join(dir, 'stranger.json') })
  await mined(
    f.registry.admitWorker(
      worker.publicKeys.evmAddress,
      id('dev attestation of the worker'),
      f.workerExpiresAt,
    ),
  )
  deliveries = openDeliveryQueue(connection, { family: 'evm', chainId: String(anvil.chainId) })
})

afterAll(async () => {
  await deliveries?.close()
  connection?.disconnect()
  f?.destroy()
  await Promise.all([anvil?.stop(), redisServer?.stop()])
  if (dir) await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  await connection.flushdb()
})

afterEach(async () => {
  await Promise.all(submitters.splice(0).map((submitter) => submitter.close()))
})

const submit = (parameters: Partial<StartEvmSubmitterParameters> = {}) => {
  const submitter = startEvmSubmitter({
    connection,
    chainId: anvil.chainId,
    rpcUrl: anvil.rpcUrl,
    privateKey: anvil.privateKeys[submitterKeyIndex]!,
    logger,
    ...parameters,
  })
  submitters.push(submitter)
  return submitter
}

/** What the worker would queue for `requestId`: an envelope signed by `signer` (the admitted worker by default). */
async function deliveryFor(
  requestId: string,
  price: bigint,
  signer: TeeProvider = worker,
  payloadHash = keccak256('0x') as Hex,
): Promise<{ name: string; data: DeliveryJobData; opts: { jobId: string } }> {
  const request: RequestJobData = {
    trigger: 'evm',
    chainId: String(anvil.chainId),
    destination: String(f.oracle.target) as Hex,
    requestId: requestId as Hex,
    functionId: f.functionId as Hex,
    request: '0x',
    seenAt: Date.now(),
  }
  const envelope = await signEnvelope(signer, {
    family: 'evm',
    chainId: anvil.chainId,
    destination: request.destination,
    requestId: request.requestId,
    functionId: request.functionId,
    payloadHash,
    codeHash: f.codeHash as Hex,
    status: 'OK',
    result: Buffer.from(encodePrice(price).slice(2), 'hex'),
  })
  return {
    name: 'delivery',
    data: { request, envelope, signedAt: Date.now() },
    opts: { jobId: requestJobId(request) },
  }
}

async function settled(jobId: string, timeoutMs = 20_000): Promise<Job<DeliveryJobData, FulfilmentResult>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = await deliveries.getJobState(jobId)
    // Read the job after its state: read before, it may hold the return value of an unfinished job.
    if (state === 'completed' || state === 'failed') return (await deliveries.getJob(jobId))!
    if (Date.now() > deadline) throw new Error(`delivery ${jobId} is still ${state}`)
    await sleep(25)
  }
}

const submitterAddress = () => anvil.accounts[submitterKeyIndex]!

describe('startEvmSubmitter', () => {
  it('fulfils a delivery and completes its job with the transaction', async () => {
    submit()
    const requestId = await f.requestPrice()
    const delivery = await deliveryFor(requestId, 4200n)
    await deliveries.add(delivery.name, delivery.data, delivery.opts)
    const job = await settled(delivery.opts.jobId)
    expect(await job.getState()).toBe('completed')
    expect(job.returnvalue).toMatchObject({
      outcome: 'fulfilled',
      method: 'fulfill',
      batchSize: 1,
      worker: worker.publicKeys.evmAddress,
      hookSucceeded: true,
    })
    const receipt = await f.provider.getTransactionReceipt(
      (job.returnvalue as { transactionHash: string }).transactionHash,
    )
    expect(receipt?.from).toBe(submitterAddress())
    expect((await f.oracle.latest()).price).toBe(4200n)
  })

  it('sends the deliveries that queue up as fulfillBatch transactions', async () => {
    const ids: string[] = []
    for (let i = 0; i < 9; i++) ids.push(await f.requestPrice())
    const batch = await Promise.all(ids.map((requestId, i) => deliveryFor(requestId, BigInt(100 + i))))
    await deliveries.addBulk(batch)
    const nonceBefore = await f.provider.getTransactionCount(submitterAddress())
    const submitter = submit({ maxInFlight: 1, maxBatchSize: 5 })

    const jobs = await Promise.all(batch.map((delivery) => settled(delivery.opts.jobId)))
    for (const job of jobs) expect(job.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    for (const requestId of ids) expect(await f.oracle.isPending(requestId)).toBe(false)
    const methods = jobs.map((job) => (job.returnvalue as { method: string }).method)
    expect(methods).toContain('fulfillBatch')
    const transactions = (await f.provider.getTransactionCount(submitterAddress())) - nonceBefore
    expect(transactions).toBeLessThan(9)
    expect(transactions).toBeGreaterThanOrEqual(2) // at most 5 per batch
    expect(submitter.stats()).toMatchObject({ fulfilled: 9, transactions, rechecked: 0 })
  })

  it('completes a delivery whose request was answered already, without a transaction', async () => {
    const submitter = submit()
    const requestId = await f.requestPrice()
    await mined(f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId, result: encodePrice(1n) })))
    const nonceBefore = await f.provider.getTransactionCount(submitterAddress())

    const delivery = await deliveryFor(requestId, 2n)
    await deliveries.add(delivery.name, delivery.data, delivery.opts)
    const job = await settled(delivery.opts.jobId)
    expect(await job.getState()).toBe('completed')
    expect(job.returnvalue).toEqual({ outcome: 'alreadyFulfilled' })
    expect(await f.provider.getTransactionCount(submitterAddress())).toBe(nonceBefore)
    expect(submitter.stats()).toMatchObject({ alreadyFulfilled: 1, transactions: 0, rechecked: 0 })
    expect((await f.oracle.latest()).price).toBe(1n)
  })

  it('fails a refused envelope at once with the consumer reason, kept in the failed set', async () => {
    const submitter = submit()
    const requestId = await f.requestPrice()
    // An answer to another question (payload) than the one asked: final.
    const altered = await deliveryFor(requestId, 666n, worker, keccak256('0x1234') as Hex)
    await deliveries.add(altered.name, altered.data, altered.opts)
    const job = await settled(altered.opts.jobId)
    expect(await job.getState()).toBe('failed')
    expect(job.failedReason).toMatch(/rejected the envelope: PayloadMismatch/)
    expect(job.attemptsMade).toBe(1) // not retried: a retry would be refused the same way
    expect((await deliveries.getFailed()).map((failed) => failed.id)).toContain(altered.opts.jobId)
    expect(await f.oracle.isPending(requestId)).toBe(true)

    // A delivery for a request the consumer never issued is refused the same way, before any estimate.
    const unknown = await deliveryFor(`0x${'ab'.repeat(32)}`, 1n)
    await deliveries.add(unknown.name, unknown.data, unknown.opts)
    const unknownJob = await settled(unknown.opts.jobId)
    expect(unknownJob.failedReason).toMatch(/rejected the envelope: UnknownRequest/)

    // The refused estimate spent no nonce: the next delivery goes through.
    const next = await f.requestPrice()
    const good = await deliveryFor(next, 77n)
    await deliveries.add(good.name, good.data, good.opts)
    expect((await settled(good.opts.jobId)).returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(submitter.stats()).toMatchObject({ rejected: 2, fulfilled: 1, transactions: 1, reruns: 0 })
  })

  it('runs a request again when its answer is refused for a reason a new run fixes, at most maxReruns times', async () => {
    const requests = openRequestQueue(connection)
    try {
      const submitter = submit({ maxReruns: 1 })
      // Signed by a key the registry does not hold (an admission that lapsed in flight): run it again.
      const requestId = await f.requestPrice()
      const lapsed = await deliveryFor(requestId, 5n, stranger)
      await deliveries.add(lapsed.name, lapsed.data, lapsed.opts)
      const job = await settled(lapsed.opts.jobId)
      expect(job.returnvalue).toEqual({ outcome: 'rerun', reason: 'WorkerNotActive', run: 1 })
      const rerun = await requests.getJob(`${lapsed.opts.jobId}-r1`)
      expect(rerun?.data).toMatchObject({ requestId, run: 1, destination: lapsed.data.request.destination })

      // The re-run's answer refused again: past maxReruns it fails for good.
      const again = await deliveryFor(requestId, 5n, stranger)
      const rerunDelivery = {
        ...again,
        data: { ...again.data, request: rerun!.data },
        opts: { jobId: rerun!.id! },
      }
      await deliveries.add(rerunDelivery.name, rerunDelivery.data, rerunDelivery.opts)
      const last = await settled(rerunDelivery.opts.jobId)
      expect(last.failedReason).toMatch(/rejected the envelope: WorkerNotActive/)
      expect(await requests.getJob(`${lapsed.opts.jobId}-r2`)).toBeUndefined()
      expect(submitter.stats()).toMatchObject({ reruns: 1, rejected: 1, transactions: 0 })
      expect(await f.oracle.isPending(requestId)).toBe(true)
    } finally {
      await requests.close()
    }
  })

  it('retries a delivery the node could not take, and recovers its nonce', async () => {
    const submitter = submit()
    const first = await f.requestPrice()
    const warm = await deliveryFor(first, 1n)
    await deliveries.add(warm.name, warm.data, warm.opts)
    await settled(warm.opts.jobId)

    const requestId = await f.requestPrice()
    await anvil.halt()
    const delivery = await deliveryFor(requestId, 31n)
    await deliveries.add(delivery.name, delivery.data, delivery.opts)
    await sleep(700) // at least one attempt fails while the node is down
    await anvil.resume()
    const job = await settled(delivery.opts.jobId)
    expect(await job.getState()).toBe('completed')
    expect(job.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    expect(job.attemptsMade).toBeGreaterThan(1)
    expect(submitter.stats().retried).toBeGreaterThan(0)
    // The retry was re-checked on-chain first; the warm-up delivery (a first run) was not.
    expect(submitter.stats().rechecked).toBe(submitter.stats().retried)
    expect((await f.oracle.latest()).price).toBe(31n)
  })
})

describe('the submitter path', () => {
  it('loads one Ethereum library: viem (createRpcClient is its transport), never ethers', () => {
    const modules = localModulesOf(fileURLToPath(new URL('./startEvmSubmitter.ts', import.meta.url)))
    const relative = (files: string[]) => files.map((file) => file.slice(file.lastIndexOf('/') + 1))
    expect(relative(modulesImporting(modules, 'ethers'))).toEqual([])
    expect(relative(modulesImporting(modules, 'viem'))).toContain('encodeFulfilmentCalldata.ts')
  })
})
