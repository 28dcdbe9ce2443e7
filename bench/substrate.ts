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
 * nonces are dropped at apply time (`Future`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Keyring } from '@polkadot/keyring'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { Queue } from 'bullmq'
import { startRedisServer } from '../cli/dev/startRedisServer.js'
import { createSubstrateStateStore } from '../relayer/substrate/createSubstrateStateStore.js'
import { deriveRequestId } from '../relayer/substrate/deriveRequestId.js'
import { encodeRequestRemark } from '../relayer/substrate/remarkProtocol.js'
import { startSubstrateRelayer } from '../relayer/substrate/startSubstrateRelayer.js'
import type { DeliveryReceipt } from '../relayer/substrate/startSubstrateSubmitter.js'
import type { Hex } from '../runtime/enclave/bytes.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { createRedisFunctionStore } from '../runtime/functions/createRedisFunctionStore.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import type { DeliveryJobData, RequestJobData } from '../runtime/queue/jobs.js'
import { deliveryQueueName, queuePrefix, requestQueueName } from '../runtime/queue/names.js'
import { createSandboxPool } from '../runtime/sandbox/index.js'
import { createStaticFunctionRegistry } from '../runtime/worker/createStaticFunctionRegistry.js'
import { startWorker } from '../runtime/worker/startWorker.js'
import { startChopsticks } from '../test/support/chopsticks.js'
import { percentile, report, round } from './support.js'

const requests = Number(process.env.REQUESTS ?? 50)
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
const pool = await createSandboxPool({ threads: sandboxThreads })
const store = createRedisFunctionStore({ redis: connection })
const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
const { codeHash } = await store.putFunction(
  'export default function main(request, secrets, context) { return JSON.stringify({ price: "67012.45", request, requestId: context.requestId }) }',
)
const worker = startWorker({
  connection,
  pool,
  provider,
  store,
  registries: { substrate: createStaticFunctionRegistry({ [functionId]: codeHash }) },
})
const relayer = await startSubstrateRelayer({
  config: { url: chain.wsUrl, submitter: { seedEnv: 'BENCH_FEE_PAYER' } },
  connection,
  env: { BENCH_FEE_PAYER: '//Bob' },
  logger,
})
const { api } = relayer.connection
const chainId = relayer.chainId
const state = createSubstrateStateStore({ redis: connection, chainId })

try {
  // Sign everything first (explicit nonces, in order), then send in one burst: the timed part is the loop.
  const firstNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber()
  const signed = []
  for (let i = 0; i < requests; i++) {
    const tx = api.tx.system.remarkWithEvent(
      u8aToHex(encodeRequestRemark({ functionId, payload: new TextEncoder().encode(`request ${i}`) })),
    )
    await tx.signAsync(alice, { nonce: firstNonce + i })
    signed.push(tx)
  }
  chain.runtimeTimings.start()
  const startedAt = performance.now()
  const inBlock = new Map<Hex, Hex>()
  const sent: { requestId: Hex; included: Promise<void> }[] = []
  for (const tx of signed) {
    const requestId = deriveRequestId({ genesisHash: chainId, extrinsicHash: tx.hash.toHex(), ordinal: 0 })
    let accepted: Promise<unknown> = Promise.resolve()
    const included = new Promise<void>((resolve, reject) => {
      accepted = tx
        .send((result) => {
          if (result.status.isInBlock) {
            inBlock.set(requestId, result.status.asInBlock.toHex())
            resolve()
          } else if (result.isError) reject(new Error(`request not included: ${result.status.type}`))
        })
        .catch(reject)
    })
    included.catch(() => {})
    sent.push({ requestId, included })
    await accepted
  }
  const submittedMs = performance.now() - startedAt
  const outcomes = await Promise.allSettled(sent.map(({ included }) => included))
  const rejected = outcomes.filter(
    (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
  )
  const expected = sent.filter((_, index) => outcomes[index]!.status === 'fulfilled')

  const deadline = Date.now() + 300_000
  let delivered = await state.getDelivered(expected.map(({ requestId }) => requestId))
  while (delivered.some((record) => !record) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    delivered = await state.getDelivered(expected.map(({ requestId }) => requestId))
  }
  const wallMs = performance.now() - startedAt
  const loadAfter = loadavg()

  // When each block became head (in-process, performance.now()) and how long its build took.
  const blocks = chain.runtimeTimings.blocks()
  const validations = chain.runtimeTimings.validations()
  const headAt = new Map(blocks.map((block) => [block.hash, block.endedAt]))
  const builds = blocks.map((block) => block.endedAt - block.startedAt)
  const requestQueue = new Queue<RequestJobData>(requestQueueName, { connection, prefix: queuePrefix })
  const deliveryQueue = new Queue<DeliveryJobData, DeliveryReceipt>(
    deliveryQueueName({ family: 'substrate', chainId }),
    { connection, prefix: queuePrefix },
  )
  const toPerf = (epochMs: number) => epochMs - performance.timeOrigin
  const latency: number[] = []
  const runtimeShare: number[] = []
  const watcherLag: number[] = []
  const workerTime: number[] = []
  const submitterWait: number[] = []
  const inclusion: number[] = []
  const batchSizes: number[] = []
  for (const [index, { requestId }] of expected.entries()) {
    const record = delivered[index]
    const requestBlock = inBlock.get(requestId)
    if (!record || !requestBlock) continue
    const from = headAt.get(requestBlock)
    const to = headAt.get(record.blockHash)
    if (from === undefined || to === undefined) continue
    latency.push(to - from)
    // The runtime runs one call at a time (a block build or a validation): its busy time in the window.
    runtimeShare.push(busyWithin([...blocks, ...validations], from, to))
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
  const p = (samples: number[], q: number) => round(percentile(samples, q), 1)
  const requestBlocks = new Set(inBlock.values()).size
  const resultExtrinsics = new Set(
    delivered.filter(Boolean).map((record) => `${record!.blockHash}/${record!.extrinsicIndex}`),
  )

  report({
    benchmark: 'substrate-loop',
    requests,
    delivered: delivered.filter(Boolean).length,
    not_included: rejected.length,
    ...(rejected.length > 0
      ? { first_failure: String(rejected[0]!.reason?.message ?? rejected[0]!.reason) }
      : {}),
    latency_p50_ms: p(latency, 50),
    latency_p99_ms: p(latency, 99),
    latency_max_ms: p(latency, 100),
    block_build_p50_ms: p(builds, 50),
    block_build_p99_ms: p(builds, 99),
    blocks_built: blocks.length,
    tx_validation_p50_ms: p(
      validations.map((run) => run.endedAt - run.startedAt),
      50,
    ),
    tx_validations: validations.length,
    runtime_share_of_latency_p50_ms: p(runtimeShare, 50),
    relayer_share_of_latency_p50_ms: p(
      latency.map((value, index) => value - runtimeShare[index]!),
      50,
    ),
    breakdown_p50_ms: {
      request_head_to_watcher_seen: p(watcherLag, 50),
      watcher_seen_to_envelope_signed: p(workerTime, 50),
      envelope_signed_to_result_sent: p(submitterWait, 50),
      result_sent_to_result_head: p(inclusion, 50),
    },
    request_blocks: requestBlocks,
    result_extrinsics: resultExtrinsics.size,
    results_per_batch_p50: p(batchSizes, 50),
    results_per_batch_max: p(batchSizes, 100),
    wall_ms_submit_all_requests: round(submittedMs, 0),
    wall_ms_all_results: round(wallMs, 0),
    setup: {
      chopsticks: `in-process, rococo_v2_2_asset_hub raw genesis, build-block-mode ${blockMode}, no db`,
      requests_sent: 'explicit nonces, each once the node accepted the previous one',
      watcher_mode: 'finalized (chopsticks finalizes each block at once)',
      submitter: 'inBlock inclusion, batchLingerMs 20, maxBatchSize 25, one extrinsic in flight',
      sandbox_threads: sandboxThreads,
      node: process.version,
    },
    load_average_before: loadBefore.map((value) => round(value, 2)),
    load_average_after: loadAfter.map((value) => round(value, 2)),
  })
} finally {
  await relayer.close()
  await worker.close()
  await pool.close()
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
