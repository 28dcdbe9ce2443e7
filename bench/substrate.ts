/**
 * Substrate loop benchmark: chopsticks + redis + TEE worker + watcher + submitter in one process. Sends 50
 * request remarks as fast as the node accepts them (explicit nonces), and measures, per request, the time from
 * "request block is head" to "result block is head", next to the time the runtime itself was busy (building
 * blocks, validating extrinsics) in that window, so the relayer's share is visible. Prints one JSON object.
 * Run with `npm run bench:substrate`; REQUESTS=n changes the count, BLOCK_MODE=Batch the chopsticks mode
 * (Instant by default: a block per extrinsic; Batch: one block per 100 ms burst, closer to a real chain).
 *
 * Each request is sent once the node has accepted the previous one (its submit RPC returned): chopsticks'
 * pool has no nonce-ordered future queue, so extrinsics sent all at once enter it out of order and the later
 * nonces are dropped at apply time (`Future`). `apply_errors` lists what the block builder dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { Keyring } from '@polkadot/keyring'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode } from '../cli/node/startNode.js'
import { startRedisServer } from '../dev/startRedisServer.js'
import { createSubstrateStateStore } from '../relayer/substrate/createSubstrateStateStore.js'
import type { DeliveryReceipt } from '../relayer/substrate/startSubstrateSubmitter.js'
import type { Hex } from '../runtime/bytes.js'
import { deriveRequestId } from '../runtime/chain/substrate/deriveRequestId.js'
import { encodeRequestRemark } from '../runtime/chain/substrate/remarkProtocol.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { openDeliveryQueue, openRequestQueue } from '../runtime/queue/queues.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import { startChopsticks } from '../test/support/chopsticks.js'
import { percentile, report, round } from './support.js'

const requests = Number(process.env.REQUESTS ?? 50)
const sequentialRequests = Number(process.env.SEQUENTIAL_REQUESTS ?? 10)
const blockMode = (process.env.BLOCK_MODE ?? 'Instant') as 'Instant' | 'Batch'
const sandboxThreads = 1
const functionId = `0x${'be'.repeat(32)}` as Hex
const logger = createLogger({ name: 'bench-substrate', level: process.env.TEEFN_LOG_LEVEL ?? 'silent' })
const loadBefore = loadavg()

await cryptoWaitReady()
const keyring = new Keyring({ type: 'sr25519' })
const alice = keyring.addFromUri('//Alice')
const bob = keyring.addFromUri('//Bob')
const [chain, redisServer] = await Promise.all([
  startChopsticks({ fund: [alice.address, bob.address], buildBlockMode: blockMode }),
  startRedisServer(),
])
const dir = await mkdtemp(join(tmpdir(), 'teefn-bench-substrate-'))
const connection = createRedisConnection({ url: redisServer.url })
const store = createRedisFunctionStore({ redis: connection })
const { codeHash } = await store.putFunction(
  'export default function main(request, secrets, context) { return JSON.stringify({ price: "67012.45", request, requestId: context.requestId }) }',
)
// The worker and the relayer as `teefn node` composes them, in this process.
const node = await startNode({
  config: {
    redisUrl: redisServer.url,
    tee: { provider: 'dev', devKeyFile: join(dir, 'worker.json') },
    worker: { threads: sandboxThreads },
    substrate: [
      {
        wsUrl: chain.wsUrl,
        rpcQuorum: 1,
        submitterUri: 'env:TEEFN_BENCH_SUBSTRATE_SUBMITTER',
        functions: { [functionId]: codeHash },
      },
    ],
  },
  roles: ['worker', 'relayer'],
  env: { ...process.env, TEEFN_BENCH_SUBSTRATE_SUBMITTER: '//Bob' },
  logger,
})
const relayer = node.substrate[0]!
const { api } = relayer.connection
const chainId = relayer.chainId
const state = createSubstrateStateStore({ redis: connection, chainId })

type Sent = { requestId: Hex; requestBlock: Hex | undefined; failure: string | undefined }
type Delivered = Awaited<ReturnType<typeof state.getDelivered>>

const p = (samples: number[], q: number) => round(percentile(samples, q), 1)
const toPerf = (epochMs: number) => epochMs - performance.timeOrigin
let nextNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber()

/**
 * Signs (explicit nonce, immortal) and sends one request; resolves once the node accepted it, with a promise
 * of its inclusion. Immortal: in Instant mode chopsticks builds one ~0.5 s block per extrinsic, so a burst
 * leaves a backlog of builds in which mortal requests (~32 blocks here) expired (badProof,
 * ancientBirthBlock). The requester's era is not what is measured; the submitter signs mortal.
 */
async function sendRequest(index: number): Promise<{ sent: Sent; included: Promise<void> }> {
  const payload = new TextEncoder().encode(`request ${index}`)
  const tx = api.tx.system.remarkWithEvent(u8aToHex(encodeRequestRemark({ functionId, payload })))
  await tx.signAsync(alice, { nonce: nextNonce++, era: 0 })
  const sent: Sent = {
    requestId: deriveRequestId({
      genesisHash: chainId,
      extrinsicHash: tx.hash.toHex(),
      ordinal: 0,
      origin: u8aToHex(alice.publicKey),
      functionId,
      payloadHash: u8aToHex(keccak_256(payload)),
    }),
    requestBlock: undefined,
    failure: undefined,
  }
  // Raw statuses (see relayer/substrate/submitAndWatch.ts); the subscription resolves once the node accepted it.
  let accepted: Promise<unknown> = Promise.resolve()
  const included = new Promise<void>((resolve, reject) => {
    accepted = api.rpc.author
      .submitAndWatchExtrinsic(tx, (status) => {
        if (status.isInBlock || status.isFinalized) {
          sent.requestBlock ??= (status.isInBlock ? status.asInBlock : status.asFinalized).toHex()
          resolve()
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          reject(new Error(`request not included: ${status.type}`))
        }
      })
      .catch(reject)
  }).catch((error: Error) => {
    sent.failure = error.message
  })
  await withTimeout(accepted, 60_000, 'submit')
  return { sent, included: withTimeout(included, 120_000, 'request inclusion') }
}

async function waitForResults(sent: readonly Sent[]): Promise<Delivered> {
  const ids = sent.map(({ requestId }) => requestId)
  const deadline = Date.now() + 300_000
  let delivered = await state.getDelivered(ids)
  while (delivered.some((record, index) => !record && !sent[index]!.failure) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    delivered = await state.getDelivered(ids)
  }
  return delivered
}

/** Latency and where it went, for requests whose blocks were built after `since`. */
async function analyse(sent: readonly Sent[], delivered: Delivered, since: number) {
  const blocks = chain.runtimeTimings.blocks().filter((block) => block.endedAt >= since)
  const validations = chain.runtimeTimings.validations().filter((run) => run.endedAt >= since)
  const headAt = new Map(blocks.map((block) => [block.hash, block.endedAt]))
  const requestQueue = openRequestQueue(connection)
  const deliveryQueue = openDeliveryQueue<DeliveryReceipt>(connection, { family: 'substrate', chainId })
  const latency: number[] = []
  const runtimeBusy: number[] = []
  const relayerShare: number[] = []
  const watcherLag: number[] = []
  const workerTime: number[] = []
  const submitterWait: number[] = []
  const inclusion: number[] = []
  const batchSizes: number[] = []
  for (const [index, { requestId, requestBlock }] of sent.entries()) {
    const record = delivered[index]
    const from = requestBlock && headAt.get(requestBlock)
    const to = record && headAt.get(record.blockHash)
    if (from === undefined || to === undefined) continue
    latency.push(to - from)
    // The runtime runs one call at a time (a block build or a validation): its busy time in the window.
    const busy = busyWithin([...blocks, ...validations], from, to)
    runtimeBusy.push(busy)
    relayerShare.push(to - from - busy)
    const jobId = `substrate-${chainId}-${u8aToHex(alice.publicKey)}-${requestId}`.toLowerCase()
    const [requestJob, deliveryJob] = await Promise.all([
      requestQueue.getJob(jobId),
      deliveryQueue.getJob(jobId),
    ])
    if (!requestJob || !deliveryJob) continue
    const seenAt = toPerf(requestJob.data.seenAt)
    const signedAt = toPerf(deliveryJob.data.signedAt)
    const receipt = deliveryJob.returnvalue
    watcherLag.push(seenAt - from)
    workerTime.push(signedAt - seenAt)
    if (receipt?.submittedAt !== undefined) {
      submitterWait.push(toPerf(receipt.submittedAt) - signedAt)
      inclusion.push(to - toPerf(receipt.submittedAt))
      batchSizes.push(receipt.batchSize ?? 1)
    }
  }
  await Promise.all([requestQueue.close(), deliveryQueue.close()])
  const builds = blocks.map((block) => block.endedAt - block.startedAt)
  return {
    requests: sent.length,
    delivered: delivered.filter(Boolean).length,
    latency_p50_ms: p(latency, 50),
    latency_p99_ms: p(latency, 99),
    block_build_p50_ms: p(builds, 50),
    block_build_p99_ms: p(builds, 99),
    blocks_built: blocks.length,
    tx_validation_p50_ms: p(
      validations.map((run) => run.endedAt - run.startedAt),
      50,
    ),
    runtime_busy_in_latency_p50_ms: p(runtimeBusy, 50),
    relayer_share_of_latency_p50_ms: p(relayerShare, 50),
    breakdown_p50_ms: {
      request_head_to_watcher_seen: p(watcherLag, 50),
      watcher_seen_to_envelope_signed: p(workerTime, 50),
      envelope_signed_to_result_sent: p(submitterWait, 50),
      result_sent_to_result_head: p(inclusion, 50),
    },
    request_blocks: new Set(sent.map(({ requestBlock }) => requestBlock).filter(Boolean)).size,
    result_extrinsics: new Set(
      delivered.filter(Boolean).map((record) => `${record!.blockHash}/${record!.extrinsicIndex}`),
    ).size,
    results_per_batch_p50: p(batchSizes, 50),
    results_per_batch_max: p(batchSizes, 100),
  }
}

try {
  chain.runtimeTimings.start()

  // 1. Burst: every request sent as soon as the node accepted the previous one.
  const burstStart = performance.now()
  const burst = []
  for (let i = 0; i < requests; i++) burst.push(await sendRequest(i))
  const submittedMs = performance.now() - burstStart
  progress(`submitted ${burst.length} requests in ${Math.round(submittedMs)} ms`)
  await Promise.all(burst.map(({ included }) => included.catch(() => {})))
  const burstSent = burst.map(({ sent }) => sent)
  const burstDelivered = await waitForResults(burstSent)
  const burstWallMs = performance.now() - burstStart
  progress(`burst results delivered: ${burstDelivered.filter(Boolean).length}`)
  const failures = burstSent.filter(({ failure }) => failure)
  const burstStats = await analyse(burstSent, burstDelivered, burstStart)

  // 2. One at a time on an idle chain: what the relayer adds when the runtime is not the queue.
  const sequentialStart = performance.now()
  const sequential: Sent[] = []
  const sequentialDelivered: Delivered = []
  for (let i = 0; i < sequentialRequests; i++) {
    const { sent, included } = await sendRequest(requests + i)
    await included
    sequential.push(sent)
    sequentialDelivered.push(...(await waitForResults([sent])))
  }
  const sequentialStats = await analyse(sequential, sequentialDelivered, sequentialStart)
  const loadAfter = loadavg()

  const { requests: _requests, ...burstRest } = burstStats
  report({
    benchmark: 'substrate-loop',
    requests,
    not_included: failures.length,
    ...(failures.length > 0 ? { first_failure: failures[0]!.failure } : {}),
    apply_errors: countBy(chain.runtimeTimings.applyErrors()),
    ...burstRest,
    wall_ms_submit_all_requests: round(submittedMs, 0),
    wall_ms_all_results: round(burstWallMs, 0),
    sequential: sequentialStats,
    setup: {
      chopsticks: `in-process, rococo_v2_2_asset_hub raw genesis, build-block-mode ${blockMode}, no db`,
      requests_sent:
        'burst: explicit nonces, immortal, each sent once the node accepted the previous one; sequential: next request after the previous result',
      watcher_mode: 'finalized (chopsticks finalizes each block at once)',
      submitter: 'inBlock inclusion, batchLingerMs 20, maxBatchSize 25, one extrinsic in flight',
      sandbox_threads: sandboxThreads,
      node: process.version,
    },
    load_average_before: loadBefore.map((value) => round(value, 2)),
    load_average_after: loadAfter.map((value) => round(value, 2)),
  })
} finally {
  await node.close()
  connection.disconnect()
  await Promise.all([chain.close(), redisServer.stop()])
  await rm(dir, { recursive: true, force: true })
}

/** Total time covered by the union of `intervals`, clipped to (from, to]. */
function busyWithin(
  intervals: readonly { startedAt: number; endedAt: number }[],
  from: number,
  to: number,
): number {
  const clipped = intervals
    .map(({ startedAt, endedAt }) => [Math.max(startedAt, from), Math.min(endedAt, to)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0])
  let busy = 0
  let cursor = from
  for (const [start, end] of clipped) {
    if (end <= cursor) continue
    busy += end - Math.max(start, cursor)
    cursor = end
  }
  return busy
}

function progress(message: string): void {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`[bench] ${message}\n`)
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
