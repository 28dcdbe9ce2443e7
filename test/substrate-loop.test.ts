import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import type { Call } from '@polkadot/types/interfaces'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto'
import type { Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { connectSubstrate, type SubstrateConnection } from '../relayer/substrate/connectSubstrate.js'
import { createRemarkTrigger } from '../relayer/substrate/createRemarkTrigger.js'
import {
  createSubstrateStateStore,
  type DeliveredRecord,
  type SubstrateStateStore,
} from '../relayer/substrate/createSubstrateStateStore.js'
import { readBlock } from '../relayer/substrate/readBlock.js'
import { readSubstrateResults } from '../relayer/substrate/readSubstrateResults.js'
import { startSubstrateRelayer } from '../relayer/substrate/startSubstrateRelayer.js'
import {
  type DeliveryReceipt,
  type SubstrateSubmitter,
  startSubstrateSubmitter,
} from '../relayer/substrate/startSubstrateSubmitter.js'
import { type SubstrateWatcher, startSubstrateWatcher } from '../relayer/substrate/startSubstrateWatcher.js'
import { submitAndWatch } from '../relayer/substrate/submitAndWatch.js'
import { type Hex, hexToBytes } from '../runtime/bytes.js'
import {
  createSubstrateChainReader,
  type SubstrateChainReader,
} from '../runtime/chain/substrate/createSubstrateChainReader.js'
import { deriveRequestId } from '../runtime/chain/substrate/deriveRequestId.js'
import { encodeRequestRemark } from '../runtime/chain/substrate/remarkProtocol.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import type { DeliveryJobData } from '../runtime/queue/jobs.js'
import { queuePrefix } from '../runtime/queue/names.js'
import { openDeliveryQueue, openQueueEvents, openRequestQueue } from '../runtime/queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../runtime/sandbox/index.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import { createStaticFunctionRegistry } from '../runtime/worker/createStaticFunctionRegistry.js'
import { startWorker, type TeeWorker } from '../runtime/worker/startWorker.js'
import { type ChopsticksChain, startChopsticks } from './support/chopsticks.js'
import { runTeefn } from './support/runTeefn.js'
import { startTcpProxy } from './support/tcpProxy.js'

const logger = createLogger({ name: 'relayer-substrate', level: process.env.TEEFN_LOG_LEVEL ?? 'silent' })
const echoId = `0x${'e1'.repeat(32)}` as Hex
const failingId = `0x${'f1'.repeat(32)}` as Hex
const unpinnedId = `0x${'0a'.repeat(32)}` as Hex
const utf8 = (text: string) => new TextEncoder().encode(text)

let chain: ChopsticksChain
let redisServer: RedisServer
let connection: Redis
let substrate: SubstrateConnection
let api: ApiPromise
let dir: string
let provider: TeeProvider
let pool: SandboxPool
let worker: TeeWorker
let reader: SubstrateChainReader
let watcher: SubstrateWatcher
let submitter: SubstrateSubmitter
let state: SubstrateStateStore
let requestsQueue: Queue
let deliveries: Queue<DeliveryJobData, DeliveryReceipt>
let deliveryEvents: QueueEvents
let eventsConnection: Redis
let alice: KeyringPair
let bob: KeyringPair
let genesisHash: Hex

const startWatcher = () => startSubstrateWatcher({ api, connection, resultSenders: [bob.address], logger })

beforeAll(async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519' })
  alice = keyring.addFromUri('//Alice')
  // Bob pays for the deliveries: the relayer's fee payer.
  bob = keyring.addFromUri('//Bob')
  ;[chain, redisServer] = await Promise.all([
    startChopsticks({ fund: [alice.address, bob.address] }),
    startRedisServer(),
  ])
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-substrate-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  pool = await createSandboxPool({ threads: 1 })
  const store = createRedisFunctionStore({ redis: connection })
  const echo = await store.putFunction(
    'export default function main(request, secrets, context) { return JSON.stringify({ request, sender: context.sender, chainId: context.chainId, requestId: context.requestId }) }',
  )
  const failing = await store.putFunction(
    'export default function main() { throw new Error("upstream down") }',
  )
  // No contracts pallet on this runtime: the operator pins the functions this worker may run.
  const functions = createStaticFunctionRegistry({ [echoId]: echo.codeHash, [failingId]: failing.codeHash })
  substrate = await connectSubstrate({ url: chain.wsUrl, logger })
  api = substrate.api
  genesisHash = substrate.genesisHash
  // The worker reads every request again from the chain (one local endpoint here; production lists several).
  reader = createSubstrateChainReader({ genesisHash, wsUrls: [chain.wsUrl], quorum: 1, heads: 'best' })
  worker = startWorker({
    connection,
    pool,
    provider,
    store,
    chains: { substrate: [{ genesisHash, reader, functions }] },
  })
  state = createSubstrateStateStore({ redis: connection, chainId: genesisHash })
  watcher = await startWatcher()
  // A longer linger than the default so the batch test reliably finds its three results together.
  submitter = startSubstrateSubmitter({ api, connection, signer: bob, logger, batchLingerMs: 150 })
  requestsQueue = openRequestQueue(connection)
  const chainRef = { family: 'substrate' as const, chainId: genesisHash }
  deliveries = openDeliveryQueue(connection, chainRef)
  // QueueEvents blocks its connection; BullMQ does not close a connection it was given, so keep it to close.
  eventsConnection = createRedisConnection({ url: redisServer.url })
  deliveryEvents = await openQueueEvents(eventsConnection, chainRef, { from: 'start' })
  await deliveryEvents.waitUntilReady()
}, 120_000)

afterAll(async () => {
  await watcher?.stop()
  await submitter?.close()
  await worker?.close()
  await reader?.close()
  await deliveries?.close()
  await requestsQueue?.close()
  await deliveryEvents?.close()
  await pool?.close()
  await substrate?.close()
  connection?.disconnect()
  eventsConnection?.disconnect()
  await Promise.all([chain?.close(), redisServer?.stop()])
  if (dir) await rm(dir, { recursive: true, force: true })
}, 60_000)

type Included = {
  blockHash: Hex
  blockNumber: number
  index: number
  txHash: Hex
  /** The signer's account (AccountId32 hex): the origin of its remarks. */
  origin: Hex
  /** The extrinsic's `remarkWithEvent` bytes, in call order. */
  remarks: Hex[]
}

/**
 * Signs and sends, resolves once in a block (raw statuses, see `submitAndWatch`). Without an explicit nonce
 * it asks the runtime (`nonce: -1`): polkadot-js' default reads a cached account subscription, which still
 * holds the old nonce right after InBlock on chopsticks.
 */
async function send(
  tx: SubmittableExtrinsic<'promise'>,
  signer: KeyringPair,
  nonce?: number,
): Promise<Included> {
  await tx.signAsync(signer, { nonce: nonce ?? -1 })
  const included = await submitAndWatch(api, tx, { timeoutMs: 60_000 })
  if (included.failed) throw new Error(`extrinsic failed: ${included.failed}`)
  const header = await api.rpc.chain.getHeader(included.blockHash)
  return {
    blockHash: included.blockHash,
    blockNumber: header.number.toNumber(),
    index: included.index,
    txHash: tx.hash.toHex(),
    origin: u8aToHex(signer.publicKey),
    remarks: remarksOf(tx),
  }
}

/** The `remarkWithEvent` bytes of a plain remark or of a `utility` batch (the shapes these tests send). */
function remarksOf(tx: SubmittableExtrinsic<'promise'>): Hex[] {
  const calls = tx.method.section === 'utility' ? [...(tx.method.args[0] as unknown as Call[])] : [tx.method]
  return calls
    .filter((call) => call.section === 'system' && call.method === 'remarkWithEvent')
    .map((call) => call.args[0]!.toHex())
}

const remark = (bytes: Uint8Array) => api.tx.system.remarkWithEvent(u8aToHex(bytes))
/** The requests `requestRemark` made, by their remark bytes: what `requestIdOf` hashes. */
const requestsByRemark = new Map<Hex, { functionId: Hex; payload: Uint8Array }>()
const requestRemark = (functionId: Hex, text: string) => {
  const bytes = encodeRequestRemark({ functionId, payload: utf8(text) })
  requestsByRemark.set(u8aToHex(bytes), { functionId, payload: utf8(text) })
  return remark(bytes)
}
/** The v2 request id of the `ordinal`-th remark of an extrinsic, from what the test itself sent. */
const requestIdOf = (included: Included, ordinal = 0) => {
  const request = requestsByRemark.get(included.remarks[ordinal]!)
  if (!request) throw new Error(`remark ${ordinal} of ${included.txHash} is not a request this test made`)
  return deriveRequestId({
    genesisHash,
    extrinsicHash: included.txHash,
    ordinal,
    origin: included.origin,
    functionId: request.functionId,
    payloadHash: u8aToHex(keccak_256(request.payload)),
  })
}

async function waitForDelivered(requestId: Hex, timeoutMs = 60_000): Promise<DeliveredRecord> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [record] = await state.getDelivered([requestId])
    if (record) return record
    if (Date.now() > deadline) throw new Error(`no result for ${requestId} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Every result remark on-chain from `fromBlock` to the head, by requestId (read from blocks, not Redis). */
async function resultsOnChain(
  fromBlock: number,
): Promise<Map<string, { block: number; extrinsic: number }[]>> {
  const trigger = createRemarkTrigger()
  const head = (await api.rpc.chain.getHeader()).number.toNumber()
  const found = new Map<string, { block: number; extrinsic: number }[]>()
  for (let number = fromBlock; number <= head; number++) {
    const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
    for (const finding of trigger.scan(await readBlock(api, hash, genesisHash))) {
      if (finding.kind !== 'result') continue
      const list = found.get(finding.requestId) ?? []
      list.push({ block: number, extrinsic: finding.extrinsicIndex })
      found.set(finding.requestId, list)
    }
  }
  return found
}

/** How many teefn requests the chain holds in blocks `from..to` (read from blocks). */
async function requestsBetween(from: number, to: number): Promise<number> {
  const trigger = createRemarkTrigger()
  let count = 0
  for (let number = from; number <= to; number++) {
    const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
    count += trigger.scan(await readBlock(api, hash, genesisHash)).filter((f) => f.kind === 'request').length
  }
  return count
}

/** The built CLI, killed (and the test failed with its output) if it has not exited within a minute. */
const teefn = (args: string[]) => runTeefn(args, { timeoutMs: 60_000 })

const verifyArgs = (block: string | number, extrinsic: number, ...more: string[]) => [
  'verify',
  '--substrate',
  chain.wsUrl,
  '--block',
  String(block),
  '--extrinsic',
  String(extrinsic),
  ...more,
]

describe('the Substrate loop on chopsticks', () => {
  it('answers a remark request with a signed result remark in a later block, verified from chain data', async () => {
    const request = await send(requestRemark(echoId, 'ping'), alice)
    const requestId = requestIdOf(request)
    const delivered = await waitForDelivered(requestId)
    const resultNumber = (await api.rpc.chain.getHeader(delivered.blockHash)).number.toNumber()
    expect(resultNumber).toBeGreaterThan(request.blockNumber)

    const worker = provider.publicKeys.sr25519
    const json = await teefn(
      verifyArgs(delivered.blockHash, delivered.extrinsicIndex, '--worker', worker, '--json'),
    )
    expect(json.stderr).not.toMatch(/teefn:/)
    expect(json.status, json.stdout + json.stderr).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({ valid: true, chainId: genesisHash, blockNumber: resultNumber })
    expect(report.results).toHaveLength(1)
    expect(report.results[0]).toMatchObject({
      valid: true,
      signer: worker,
      requestId,
      functionId: echoId,
      status: 'OK',
      destination: u8aToHex(decodeAddress(alice.address)),
      request: {
        blockHash: request.blockHash,
        blockNumber: request.blockNumber,
        extrinsicIndex: request.index,
      },
    })

    // The human form, by block number, names the worker.
    const text = await teefn(verifyArgs(resultNumber, delivered.extrinsicIndex))
    expect(text.status).toBe(0)
    expect(text.stdout).toContain(`valid: substrate envelope signed by ${worker}`)
    expect(text.stdout).toContain(
      `request ${requestId}: extrinsic ${request.index} of block #${request.blockNumber}`,
    )

    // The function saw the payload as hex, its requester, its chain and the derived request id.
    const read = await readSubstrateResults(api, {
      block: delivered.blockHash,
      extrinsicIndex: delivered.extrinsicIndex,
    })
    const output = JSON.parse(Buffer.from(hexToBytes(read.results[0]!.envelope.result)!).toString())
    expect(output).toEqual({
      request: u8aToHex(utf8('ping')),
      sender: expect.any(String),
      chainId: genesisHash,
      requestId,
    })
    expect(u8aToHex(decodeAddress(output.sender))).toBe(u8aToHex(decodeAddress(alice.address)))

    // Another worker key, or an extrinsic that is not a result, is refused (exit 1).
    const otherWorker = `0x${'22'.repeat(32)}`
    const wrong = await teefn(
      verifyArgs(delivered.blockHash, delivered.extrinsicIndex, '--worker', otherWorker, '--json'),
    )
    expect(wrong.status).toBe(1)
    expect(JSON.parse(wrong.stdout).results[0]).toMatchObject({ valid: false, reason: 'WRONG_SIGNER' })
    const notResult = await teefn(verifyArgs(request.blockHash, request.index, '--json'))
    expect(notResult.status).toBe(1)
    expect(JSON.parse(notResult.stdout)).toMatchObject({ valid: false, reason: 'NO_RESULT' })
    // Usage errors are exit 2.
    expect(
      (await teefn(['verify', '--substrate', chain.wsUrl, '--block', 'latest', '--extrinsic', '1'])).status,
    ).toBe(2)
  }, 240_000)

  it('finds each request of a batched request extrinsic by its position among the remarks', async () => {
    const batch = await send(
      api.tx.utility.batchAll([
        requestRemark(echoId, 'first'),
        remark(utf8('a remark that is not for teefn')),
        requestRemark(echoId, 'third'),
      ]),
      alice,
    )
    const payloads = []
    for (const ordinal of [0, 2]) {
      const requestId = requestIdOf(batch, ordinal)
      const record = await waitForDelivered(requestId)
      const read = await readSubstrateResults(api, {
        block: record.blockHash,
        extrinsicIndex: record.extrinsicIndex,
      })
      const result = read.results.find((candidate) => candidate.envelope.requestId === requestId)!
      expect(result.request).toMatchObject({ blockHash: batch.blockHash, origin: { index: batch.index } })
      payloads.push(JSON.parse(Buffer.from(hexToBytes(result.envelope.result)!).toString()).request)
    }
    expect(payloads.sort()).toEqual([u8aToHex(utf8('first')), u8aToHex(utf8('third'))].sort())
  }, 60_000)

  it('ignores and counts a malformed request remark, and keeps serving', async () => {
    const before = watcher.counters()
    // The teefn header, then a functionId cut short.
    const malformed = await send(remark(Uint8Array.of(...utf8('teefn'), 1, 1, 0xaa, 0xbb)), alice)
    const foreign = await send(remark(utf8('hello chain')), alice)
    await watcher.waitForBlock(Math.max(malformed.blockNumber, foreign.blockNumber))
    const after = watcher.counters()
    expect(after.malformed - before.malformed).toBe(1)
    expect(after.requests - before.requests).toBe(0)
    // No job was made for it.
    const jobs = await requestsQueue.getJobCounts('completed', 'failed')
    const next = await send(requestRemark(echoId, 'still here'), alice)
    await waitForDelivered(requestIdOf(next))
    const jobsAfter = await requestsQueue.getJobCounts('completed', 'failed')
    expect(jobsAfter.completed).toBe(jobs.completed! + 1)
    expect(jobsAfter.failed).toBe(0)
  }, 60_000)

  it('delivers a function error as a signed failure status', async () => {
    const failing = await send(requestRemark(failingId, 'x'), alice)
    const unpinned = await send(requestRemark(unpinnedId, 'x'), alice)
    for (const [request, status, message] of [
      [failing, 'FUNCTION_ERROR', /^Error: upstream down/],
      [unpinned, 'FUNCTION_NOT_FOUND', /no code is pinned/],
    ] as const) {
      const delivered = await waitForDelivered(requestIdOf(request))
      const out = await teefn(
        verifyArgs(
          delivered.blockHash,
          delivered.extrinsicIndex,
          '--worker',
          provider.publicKeys.sr25519,
          '--json',
        ),
      )
      expect(out.status).toBe(0)
      expect(JSON.parse(out.stdout).results[0]).toMatchObject({ valid: true, status })
      const read = await readSubstrateResults(api, {
        block: delivered.blockHash,
        extrinsicIndex: delivered.extrinsicIndex,
      })
      expect(Buffer.from(hexToBytes(read.results[0]!.envelope.result)!).toString()).toMatch(message)
    }
  }, 180_000)

  it('puts several results of one moment into one utility.batchAll', async () => {
    // Hold the submitter while three results are signed, so they are pending together when it resumes.
    await submitter.worker.pause()
    let requests: Included[]
    try {
      const waitingBefore = await deliveries.getWaitingCount()
      requests = []
      for (const text of ['a', 'b', 'c']) requests.push(await send(requestRemark(echoId, text), alice))
      for (let i = 0; (await deliveries.getWaitingCount()) < waitingBefore + 3; i++) {
        if (i > 600) throw new Error('the worker did not sign the three results')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      await submitter.worker.resume()
    }
    const records = await Promise.all(requests.map((request) => waitForDelivered(requestIdOf(request))))
    expect(new Set(records.map((record) => `${record.blockHash}/${record.extrinsicIndex}`)).size).toBe(1)
    const { blockHash, extrinsicIndex } = records[0]!
    const read = await readSubstrateResults(api, { block: blockHash, extrinsicIndex })
    expect(read.call).toBe('utility.batchAll')
    expect(read.results.map((result) => result.envelope.requestId).sort()).toEqual(
      requests.map((request) => requestIdOf(request)).sort(),
    )
    // --request-id picks one result of the batch.
    const out = await teefn(
      verifyArgs(blockHash, extrinsicIndex, '--request-id', requestIdOf(requests[1]!), '--json'),
    )
    expect(out.status).toBe(0)
    expect(JSON.parse(out.stdout).results).toHaveLength(1)
  }, 180_000)

  it('loses and doubles nothing when the watcher stops in the middle and starts again', async () => {
    const first = await send(requestRemark(echoId, 'before the stop'), alice)
    await waitForDelivered(requestIdOf(first))
    await watcher.stop()

    const whileStopped = [
      await send(requestRemark(echoId, 'while stopped 1'), alice),
      await send(requestRemark(echoId, 'while stopped 2'), alice),
    ]
    // As if it had crashed after queuing `first` but before writing its checkpoint, and the delivered index
    // had lost `first`: the restart reads `first` again and only its job id keeps it from running twice.
    const parent = (await api.rpc.chain.getBlockHash(first.blockNumber - 1)).toHex()
    await state.setCheckpoint('default', { number: first.blockNumber - 1, hash: parent })
    await connection.del(`${queuePrefix}:substrate:${genesisHash}:delivered:${requestIdOf(first)}`)

    watcher = await startWatcher()
    for (const request of whileStopped) await waitForDelivered(requestIdOf(request))
    const head = (await api.rpc.chain.getHeader()).number.toNumber()
    await watcher.waitForBlock(head)
    expect(watcher.counters().requests).toBe(3)

    const results = await resultsOnChain(first.blockNumber)
    for (const request of [first, ...whileStopped]) {
      expect(results.get(requestIdOf(request)), `results of ${request.txHash}`).toHaveLength(1)
    }
    // The restarted watcher re-indexed `first` from its result remark.
    expect((await state.getDelivered([requestIdOf(first)]))[0]).toMatchObject({ by: 'watcher' })
  }, 120_000)

  it('does not send a result again that is already on-chain, even when only an in-flight marker says so', async () => {
    const request = await send(requestRemark(echoId, 'exactly once'), alice)
    const requestId = requestIdOf(request)
    const delivered = await waitForDelivered(requestId)
    const jobId = requestJobId({
      trigger: 'substrate',
      chainId: genesisHash,
      destination: u8aToHex(decodeAddress(alice.address)),
      requestId,
    })
    const job = (await deliveries.getJob(jobId))!
    // The delivered record is written just before the job completes: wait for the job itself.
    const first = (await job.waitUntilFinished(deliveryEvents, 30_000)) as DeliveryReceipt
    expect(first).toMatchObject({ requestId, alreadyDelivered: false, blockHash: delivered.blockHash })
    const redeliver = async () => {
      const data = job.data
      await job.remove().catch(() => {})
      await deliveries.remove(jobId)
      const again = await deliveries.add('delivery', data, { jobId })
      return (await again.waitUntilFinished(deliveryEvents, 60_000)) as DeliveryReceipt
    }

    // 1. The delivered index knows it.
    expect(await redeliver()).toMatchObject({ alreadyDelivered: true, blockHash: delivered.blockHash })

    // 2. A crash right after sending: no delivered record, only the in-flight marker of the attempt.
    const block = await api.rpc.chain.getBlock(delivered.blockHash)
    const txHash = block.block.extrinsics[delivered.extrinsicIndex]!.hash.toHex()
    await connection.del(`${queuePrefix}:substrate:${genesisHash}:delivered:${requestId}`)
    await state.setInflight([requestId], {
      nonce: first.nonce!,
      txHash,
      sentAtBlock: request.blockNumber,
      sentAt: Date.now(),
    })
    expect(await redeliver()).toMatchObject({
      alreadyDelivered: true,
      blockHash: delivered.blockHash,
      extrinsicIndex: delivered.extrinsicIndex,
    })
    const results = await resultsOnChain(request.blockNumber)
    expect(results.get(requestId)).toHaveLength(1)
  }, 120_000)

  it('recovers when its nonce went stale (another transaction of the fee payer)', async () => {
    const before = submitter.stats()
    // The fee payer sends something itself: the submitter's next nonce is now taken.
    await send(remark(utf8('operator maintenance')), bob)
    const request = await send(requestRemark(echoId, 'after a stale nonce'), alice)
    await waitForDelivered(requestIdOf(request))
    const after = submitter.stats()
    expect(after.resubmitted - before.resubmitted).toBe(1)
    expect(after.nonceResyncs - before.nonceResyncs).toBe(1)
    expect(after.delivered - before.delivered).toBe(1)
  }, 60_000)

  it('a second watcher on best heads, over every block so far, queues nothing new', async () => {
    const head = (await api.rpc.chain.getHeader()).number.toNumber()
    const requestsOnChain = await requestsBetween(1, head)
    const completed = (await requestsQueue.getJobCounts('completed')).completed
    const best = await startSubstrateWatcher({
      api,
      connection,
      mode: 'best',
      name: 'best-heads',
      startBlock: 1,
      resultSenders: [bob.address],
      logger,
    })
    try {
      await best.waitForBlock(head)
      const counters = best.counters()
      expect(counters.requests).toBe(requestsOnChain)
      expect(requestsOnChain).toBeGreaterThan(10)
      // Every request it found already has its result on-chain: nothing is queued, nothing runs again.
      expect(counters.alreadyDelivered).toBe(counters.requests)
      expect((await requestsQueue.getJobCounts('completed')).completed).toBe(completed)
      expect(counters.malformed).toBe(1)
    } finally {
      await best.stop()
    }
    // Its checkpoint is its own.
    expect((await state.getCheckpoint('best-heads'))?.number).toBeGreaterThanOrEqual(head)
  }, 120_000)

  it('backfills after a dropped connection (relayer started in one call)', async () => {
    await watcher.stop()
    await submitter.close()
    const proxy = await startTcpProxy(chain.port)
    const relayer = await startSubstrateRelayer({
      wsUrl: proxy.url,
      connection,
      submitterUri: '//Bob',
      pollIntervalMs: 500,
      logger,
    })
    try {
      expect(relayer.chainId).toBe(genesisHash)
      expect(relayer.submitter?.address).toBe(bob.address)
      const before = await send(requestRemark(echoId, 'before the drop'), alice)
      await waitForDelivered(requestIdOf(before))

      await proxy.drop()
      for (let i = 0; relayer.connection.api.isConnected; i++) {
        if (i > 200) throw new Error('the relayer did not notice the dropped connection')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const during = [
        await send(requestRemark(echoId, 'while cut off 1'), alice),
        await send(requestRemark(echoId, 'while cut off 2'), alice),
      ]
      await proxy.restore()
      for (const request of during) await waitForDelivered(requestIdOf(request))
      const results = await resultsOnChain(before.blockNumber)
      for (const request of [before, ...during]) expect(results.get(requestIdOf(request))).toHaveLength(1)
      expect(relayer.watcher!.counters().requests).toBe(3)
    } finally {
      await relayer.close()
      await proxy.close()
    }
  }, 120_000)
})
