import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { KeyringPair } from '@polkadot/keyring/types'
import { u8aToHex } from '@polkadot/util'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { encodeRequestRemark } from '../../runtime/chain/substrate/remarkProtocol.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { substrateDeliveryOf } from '../../test/support/substrateDeliveries.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { createRequestEnqueuer, type RequestEnqueuer } from '../shared/createRequestEnqueuer.js'
import {
  type CreateBlockProcessorParameters,
  createBlockProcessor,
  emptyWatcherCounters,
} from './createBlockProcessor.js'
import { resultRemarkOf } from './createRemarkDelivery.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import { createSubstrateStateStore, type SubstrateStateStore } from './createSubstrateStateStore.js'
import { readBlock } from './readBlock.js'
import { accountHex } from './startSubstrateWatcher.js'
import { submitAndWatch } from './submitAndWatch.js'

let api: ApiPromise
let alice: KeyringPair
let bob: KeyringPair
let connection: Redis
let enqueuer: RequestEnqueuer
let requests: Queue<RequestJobData>
let dir: string
useSubstrateChain({}, (chain) => ({ api, alice, bob } = chain))
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))
beforeAll(async () => {
  enqueuer = createRequestEnqueuer({ connection })
  requests = openRequestQueue(connection)
  dir = await mkdtemp(join(tmpdir(), 'teefn-block-processor-'))
})
afterAll(async () => {
  await enqueuer?.close()
  await requests?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const chainId = () => api.genesisHash.toHex()
const store = (): SubstrateStateStore => createSubstrateStateStore({ redis: connection, chainId: chainId() })
const processorWith = (parameters: Partial<CreateBlockProcessorParameters> = {}) =>
  createBlockProcessor({
    api,
    chainId: chainId(),
    store: store(),
    enqueuer,
    triggers: [createRemarkTrigger()],
    trusted: new Set([accountHex(bob.address)]),
    name: 'test',
    checkpoint: undefined,
    reorgRescanDepth: 2,
    counters: emptyWatcherCounters(),
    ...parameters,
  })

/** Sends `tx` from `signer` and returns the number of the block that included it. */
async function included(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair): Promise<number> {
  await tx.signAsync(signer, { nonce: -1 })
  const { blockHash } = await submitAndWatch(api, tx)
  return (await api.rpc.chain.getHeader(blockHash)).number.toNumber()
}
const requestRemark = (text: string) =>
  api.tx.system.remarkWithEvent(
    u8aToHex(
      encodeRequestRemark({ functionId: `0x${'e1'.repeat(32)}`, payload: new TextEncoder().encode(text) }),
    ),
  )
/** The request ids the remark protocol finds in block `number`. */
async function requestIdsIn(number: number): Promise<Hex[]> {
  const block = await readBlock(api, (await api.rpc.chain.getBlockHash(number)).toHex(), chainId())
  return createRemarkTrigger()
    .scan(block)
    .flatMap((finding) => (finding.kind === 'request' ? [finding.request.requestId] : []))
}

describe('createBlockProcessor', () => {
  it('queues a block’s requests, indexes the fee payer’s results as delivered, and moves the checkpoint', async () => {
    const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
    const answered = `0x${'0a'.repeat(32)}` as Hex
    const result = await substrateDeliveryOf({ provider, genesisHash: chainId(), requestId: answered })
    const requestBlock = await included(requestRemark('{"n":1}'), alice)
    const resultBlock = await included(api.tx.system.remarkWithEvent(u8aToHex(resultRemarkOf(result))), bob)
    const processor = processorWith()
    expect(await processor.step(requestBlock)).toBe(requestBlock + 1)
    for (let number = requestBlock + 1; number <= resultBlock; number++) await processor.step(number)

    const [requestId] = await requestIdsIn(requestBlock)
    expect((await requests.getJobs(['waiting'])).map((job) => job.data.requestId)).toEqual([requestId])
    const hash = (await api.rpc.chain.getBlockHash(resultBlock)).toHex()
    expect(processor.checkpoint).toEqual({ number: resultBlock, hash })
    expect(await store().getCheckpoint('test')).toEqual(processor.checkpoint)
    expect(await store().getDelivered([answered])).toEqual([
      { blockHash: hash, blockNumber: resultBlock, extrinsicIndex: expect.any(Number), by: 'watcher' },
    ])
  })

  it('does not queue a request whose result is indexed as delivered', async () => {
    const number = await included(requestRemark('{"n":2}'), alice)
    const [requestId] = await requestIdsIn(number)
    const record = { blockHash: `0x${'b0'.repeat(32)}` as Hex, extrinsicIndex: 1, by: 'submitter' as const }
    await store().markDelivered([{ requestId: requestId!, record }])
    const counters = emptyWatcherCounters()
    await processorWith({ counters, trusted: new Set() }).step(number)
    expect(counters).toMatchObject({ blocks: 1, requests: 1, alreadyDelivered: 1 })
    expect(await requests.getJobs(['waiting'])).toHaveLength(0)
  })

  it('goes back reorgRescanDepth blocks when the next block’s parent is not the checkpoint', async () => {
    const head = await included(api.tx.system.remark('0x01'), alice)
    const counters = emptyWatcherCounters()
    const stale = { number: head - 1, hash: `0x${'0f'.repeat(32)}` as Hex }
    const processor = processorWith({ checkpoint: stale, counters })
    expect(await processor.step(head)).toBe(head - 2)
    const back = { number: head - 3, hash: (await api.rpc.chain.getBlockHash(head - 3)).toHex() }
    expect(processor.checkpoint).toEqual(back)
    expect(await store().getCheckpoint('test')).toEqual(back)
    expect(counters).toMatchObject({ reorgs: 1, blocks: 0 })
  })

  it('processes nothing once the watcher is stopping', async () => {
    const number = await included(requestRemark('{"n":3}'), alice)
    const counters = emptyWatcherCounters()
    expect(await processorWith({ counters, stopped: () => true }).step(number)).toBe(number)
    expect(counters.blocks).toBe(0)
    expect(await store().getCheckpoint('test')).toBeUndefined()
  })
})
