import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import {
  deployForgedRequestEmitter,
  deployTestConsumer,
  mined,
  type TeefnContractsFixture,
} from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { ConsumerLookupError, createConsumerFilter } from './createConsumerFilter.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})
beforeAll(() => {
  rpc = createRpcClient({ url: anvil.rpcUrl })
})
afterAll(() => rpc?.close())

/** A job as the watcher makes it of a log; only the emitter and the block matter here. */
const requestOf = (destination: string, blockNumber: number): RequestJobData => ({
  trigger: 'evm',
  chainId: String(anvil.chainId),
  destination: destination as Hex,
  requestId: `0x${'11'.repeat(32)}`,
  functionId: f.functionId as Hex,
  request: '0x',
  seenAt: Date.now(),
  origin: { blockNumber, blockHash: '0x', transactionHash: '0x', index: 0 },
})
const head = () => f.provider.getBlockNumber()

describe('createConsumerFilter', () => {
  it('keeps registered consumers, drops and counts other emitters, and asks once per consumer', async () => {
    const filter = createConsumerFilter({ rpc, registry: String(f.registry.target) })
    const forger = String((await deployForgedRequestEmitter(f.stranger)).target)
    const oracle = String(f.oracle.target)
    const block = await head()
    const served = await filter.filter([
      requestOf(oracle, block),
      requestOf(forger, block),
      requestOf(oracle, block),
    ])
    expect(served.map((request) => request.destination)).toEqual([oracle, oracle])
    expect(filter.stats()).toEqual({ unregistered: 1, denied: 0, lookups: 2 })
    // The registered answer serves later blocks from the cache; the forger's block is cached too.
    await anvil.mine(2)
    expect(await filter.filter([requestOf(oracle, await head()), requestOf(forger, block)])).toHaveLength(1)
    expect(filter.stats()).toEqual({ unregistered: 2, denied: 0, lookups: 2 })
  })

  it('reads at the log block: a contract unregistered then is dropped, one that signed up later is not missed', async () => {
    const filter = createConsumerFilter({ rpc, registry: String(f.registry.target) })
    const consumer = await deployTestConsumer(f.admin, { registry: String(f.registry.target) })
    const address = String(consumer.target)
    await mined(consumer.leaveRegistry())
    const away = await head()
    expect(await filter.filter([requestOf(address, away)])).toEqual([])
    await mined(consumer.rejoinRegistry())
    const back = await head()
    expect(await filter.filter([requestOf(address, back)])).toHaveLength(1)
    // The old block is still answered as it was.
    expect(await filter.filter([requestOf(address, away)])).toEqual([])
    expect(filter.stats().unregistered).toBe(2)
  })

  it("applies the operator's deny-list before asking the registry, and takes an allow-list as it is", async () => {
    const consumer = String(
      (await deployTestConsumer(f.admin, { registry: String(f.registry.target) })).target,
    )
    const oracle = String(f.oracle.target)
    const block = await head()
    const denying = createConsumerFilter({
      rpc,
      registry: String(f.registry.target),
      denyConsumers: [consumer.toLowerCase()],
    })
    const requests = [requestOf(oracle, block), requestOf(consumer, block)]
    expect((await denying.filter(requests)).map((request) => request.destination)).toEqual([oracle])
    expect(denying.stats()).toEqual({ unregistered: 0, denied: 1, lookups: 1 })
    const allowing = createConsumerFilter({ rpc, registry: String(f.registry.target), consumers: [consumer] })
    expect((await allowing.filter(requests)).map((request) => request.destination)).toEqual([consumer])
    expect(allowing.stats()).toEqual({ unregistered: 0, denied: 1, lookups: 0 })
  })

  it('fails (so the scan retries) when the registry gives no answer', async () => {
    const filter = createConsumerFilter({ rpc, registry: f.stranger.address })
    const error = await filter
      .filter([requestOf(String(f.oracle.target), await head())])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConsumerLookupError)
    expect(error).toMatchObject({ code: 'CONSUMER_LOOKUP_FAILED' })
  })
})
