import { hexlify, id } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../dev/startAnvil.js'
import { requestStateName } from '../runtime/chain/evm/consumerCodes.js'
import {
  encodePrice,
  eventsNamed,
  mined,
  revertOf,
  type TeefnContractsFixture,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { attachConsumer, attachPriceOracle, DEFAULT_REQUEST_TIMEOUT, deployPriceOracle } from './artifacts.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({ isolate: true, requestTimeout: 600 }, (chain) => {
  ;({ anvil, f } = chain)
})

describe('PriceOracle', () => {
  it('lets only its owner request prices', async () => {
    expect(await revertOf(f.oracle.connect(f.stranger).requestPrice('0x'))).toEqual({
      name: 'OwnableUnauthorizedAccount',
      args: [f.stranger.address],
    })
  })

  it('makes its owner the requester, who alone may cancel an unanswered request', async () => {
    const request = await f.sendPriceRequest()
    expect(request.requester).toBe(f.oracleOwner.address)
    expect(request.deadline).toBe(
      BigInt((await f.provider.getBlock(request.receipt.blockNumber))!.timestamp) + 600n,
    )
    await anvil.increaseTime(601)
    expect((await revertOf(f.oracle.connect(f.stranger).cancelRequest(request.requestId))).name).toBe(
      'NotRequester',
    )
    await mined(f.oracle.connect(f.oracleOwner).cancelRequest(request.requestId))
    expect(requestStateName((await f.oracle.requestInfo(request.requestId)).state)).toBe('Cancelled')
    expect((await revertOf(f.oracle.latest())).name).toBe('NoPriceYet')
  })

  it('has no price before the first answer', async () => {
    expect((await revertOf(f.oracle.latest())).name).toBe('NoPriceYet')
  })

  it('serves the latest price with its time and request', async () => {
    const requestId = await f.requestPrice()
    const receipt = await mined(
      f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId, result: encodePrice(42n) })),
    )
    const block = await f.provider.getBlock(receipt.blockNumber)
    expect([...(await f.oracle.latest())]).toEqual([42n, BigInt(block!.timestamp), requestId])
  })

  it('ignores an answer to an older request that arrives after a newer one', async () => {
    const older = await f.requestPrice()
    const newer = await f.requestPrice()
    const oracle = f.oracle.connect(f.relayer)
    await mined(oracle.fulfill(await f.sign({ requestId: newer, result: encodePrice(200n) })))
    const receipt = await mined(oracle.fulfill(await f.sign({ requestId: older, result: encodePrice(100n) })))
    expect(eventsNamed(receipt, f.oracle, 'StalePriceIgnored')[0]?.args.toObject()).toEqual({
      requestId: older,
      price: 100n,
    })
    expect(await f.oracle.latestPrice()).toBe(200n)
    expect(await f.oracle.latestRequestId()).toBe(newer)
    expect(await f.oracle.isPending(older)).toBe(false)
  })

  it('records a result that is not one uint256 as a failed hook and keeps the old price', async () => {
    const first = await f.requestPrice()
    await mined(
      f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId: first, result: encodePrice(7n) })),
    )
    const requestId = await f.requestPrice()
    const result = hexlify(Buffer.from('not a price'))
    const receipt = await mined(f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId, result })))
    expect(eventsNamed(receipt, f.oracle, 'RequestFulfilled')[0]?.args.hookSucceeded).toBe(false)
    expect(eventsNamed(receipt, f.oracle, 'HookFailed')[0]?.args.reason).toBe(
      f.oracle.interface.encodeErrorResult('InvalidPriceResult', [11n]),
    )
    expect(await f.oracle.latestPrice()).toBe(7n)
    expect(await f.oracle.isPending(requestId)).toBe(false)
  })

  it('bounds the error message it logs for a failed run', async () => {
    const requestId = await f.requestPrice()
    const long = hexlify(Buffer.alloc(1000, 0x61))
    const receipt = await mined(
      f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId, status: 1, result: long })),
    )
    const [failed] = eventsNamed(receipt, f.oracle, 'PriceRequestFailed')
    expect(failed?.args.message).toBe(hexlify(Buffer.alloc(256, 0x61)))
  })

  it('deploys with defaults and attaches through the consumer ABI', async () => {
    const oracle = await deployPriceOracle(f.stranger, {
      registry: await f.registry.getAddress(),
      functionId: f.functionId,
    })
    expect(await oracle.owner()).toBe(f.stranger.address)
    expect(await oracle.hookGasLimit()).toBe(200_000n)
    expect(await oracle.requestTimeout()).toBe(BigInt(DEFAULT_REQUEST_TIMEOUT))
    expect(await oracle.functionId()).toBe(f.functionId)
    const address = await oracle.getAddress()
    const asConsumer = attachConsumer(address, f.provider)
    expect(await asConsumer.registry()).toBe(await f.registry.getAddress())
    expect(await asConsumer.isPending(id('x'))).toBe(false)
    expect(await attachPriceOracle(address, f.provider).requestCount()).toBe(0n)
  })

  it('deploys with the request timeout it is given', async () => {
    const oracle = await deployPriceOracle(f.stranger, {
      registry: await f.registry.getAddress(),
      functionId: f.functionId,
      requestTimeout: 90,
      hookGasLimit: 150_000,
      owner: f.oracleOwner.address,
    })
    expect([await oracle.requestTimeout(), await oracle.hookGasLimit(), await oracle.owner()]).toEqual([
      90n,
      150_000n,
      f.oracleOwner.address,
    ])
    expect(await f.oracle.requestTimeout()).toBe(600n)
  })
})
