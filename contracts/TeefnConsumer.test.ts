import type { BaseContractMethod, ContractTransactionResponse } from 'ethers'
import {
  type BytesLike,
  concat,
  getBytes,
  hexlify,
  id,
  keccak256,
  Signature,
  TypedDataEncoder,
  toBeHex,
  Wallet,
  zeroPadValue,
} from 'ethers'
import { describe, expect, it } from 'vitest'
import { type AnvilInstance, waitForReceipt } from '../cli/dev/startAnvil.js'
import {
  encodePrice,
  eventsNamed,
  expectedRequestId,
  mined,
  revertOf,
  type TeefnContractsFixture,
  testKey,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { deploy } from './artifacts.js'
import { rejectReasonName, requestStateName } from './consumerCodes.js'
import type { TeefnConsumerMethods, TypedContract } from './contractTypes.js'
import { FULFILLMENT_TYPES, hashFulfillment, teefnDomain } from './fulfillmentTypedData.js'

type TestConsumerContract = TypedContract<
  TeefnConsumerMethods & {
    request: BaseContractMethod<
      [functionId: BytesLike, payload: BytesLike],
      string,
      ContractTransactionResponse
    >
    setMode: BaseContractMethod<
      [mode: number, burnGas: bigint, revertDataSize: bigint],
      void,
      ContractTransactionResponse
    >
    setReentryEnvelope: BaseContractMethod<[envelope: object], void, ContractTransactionResponse>
    teefnFulfillmentHook: BaseContractMethod<
      [BytesLike, number, BytesLike],
      void,
      ContractTransactionResponse
    >
    hookCalls: BaseContractMethod<[], bigint, bigint>
    lastRequestId: BaseContractMethod<[], string, string>
    lastStatus: BaseContractMethod<[], bigint, bigint>
    lastResult: BaseContractMethod<[], string, string>
    reentryError: BaseContractMethod<[], string, string>
  }
>

const HookMode = { Record: 0, Revert: 1, BurnAllGas: 2, BurnThenRecord: 3, RevertWithHugeData: 4, Reenter: 5 }
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({ isolate: true }, (chain) => {
  ;({ anvil, f } = chain)
})

function fulfillAs(envelope: object) {
  return f.oracle.connect(f.relayer).fulfill(envelope as never)
}

async function expectPending(requestId: string, pending = true) {
  expect(await f.oracle.isPending(requestId)).toBe(pending)
}

async function deployTestConsumer(hookGasLimit: number): Promise<TestConsumerContract> {
  const registry = await f.registry.getAddress()
  return (await deploy('TestConsumer', f.admin, [registry, hookGasLimit])) as unknown as TestConsumerContract
}

describe('requests', () => {
  it('issues one id per consumer, chain and nonce, stores it pending and emits RequestSent', async () => {
    const oracle = await f.oracle.getAddress()
    const payload = hexlify(Buffer.from('{"pair":"ETH/USD"}'))
    const receipt = await mined(f.oracle.connect(f.oracleOwner).requestPrice(payload))
    const [event] = eventsNamed(receipt, f.oracle, 'RequestSent')
    const first = expectedRequestId(f.chainId, oracle, 0n)
    expect(event?.args.toObject()).toEqual({
      requestId: first,
      functionId: f.functionId,
      requester: f.oracleOwner.address,
      payload,
    })
    const second = await f.requestPrice()
    expect(second).toBe(expectedRequestId(f.chainId, oracle, 1n))
    expect(await f.oracle.requestCount()).toBe(2n)
    const info = await f.oracle.requestInfo(second)
    expect([info.functionId, info.nonce, requestStateName(info.state)]).toEqual([f.functionId, 1n, 'Pending'])
    await expectPending(first)
  })

  it('refuses a request for a function the registry does not know', async () => {
    const consumer = await deployTestConsumer(100_000)
    const unknown = id('not registered')
    expect(await revertOf(consumer.request(unknown, '0x'))).toEqual({
      name: 'FunctionNotRegistered',
      args: [unknown],
    })
  })
})

describe('EIP-712', () => {
  it('hashes the same digest and domain as ethers', async () => {
    const domain = teefnDomain(f.chainId, await f.oracle.getAddress())
    const fields = {
      requestId: id('r'),
      functionId: f.functionId,
      codeHash: f.codeHash,
      status: 3,
      result: '0x1234',
    }
    expect(
      await f.oracle.hashFulfillment(fields.requestId, fields.functionId, f.codeHash, 3, keccak256('0x1234')),
    ).toBe(hashFulfillment(domain, fields))
    expect(await f.oracle.domainSeparator()).toBe(TypedDataEncoder.hashDomain(domain))
    expect(await f.oracle.FULFILLMENT_TYPEHASH()).toBe(
      id(TypedDataEncoder.from(FULFILLMENT_TYPES).encodeType('Fulfillment')),
    )
  })
})

describe('fulfill', () => {
  it('accepts a valid envelope: stores the price, emits, and the request is no longer pending', async () => {
    const requestId = await f.requestPrice()
    const result = encodePrice(3_141_59n)
    const envelope = await f.sign({ requestId, result })
    const receipt = await mined(fulfillAs(envelope))

    const [fulfilled] = eventsNamed(receipt, f.oracle, 'RequestFulfilled')
    expect(fulfilled?.args.toObject()).toEqual({
      requestId,
      worker: f.worker.address,
      status: 0n,
      resultHash: keccak256(result),
      hookSucceeded: true,
    })
    const [updated] = eventsNamed(receipt, f.oracle, 'PriceUpdated')
    expect(updated?.args.price).toBe(314_159n)
    expect(eventsNamed(receipt, f.oracle, 'HookFailed')).toEqual([])
    expect(await f.oracle.latestPrice()).toBe(314_159n)
    expect(await f.oracle.latestRequestId()).toBe(requestId)
    await expectPending(requestId, false)
    expect(requestStateName((await f.oracle.requestInfo(requestId)).state)).toBe('Fulfilled')
  })

  it('accepts an error envelope (status != 0) and records it without touching the price', async () => {
    const first = await f.requestPrice()
    await mined(fulfillAs(await f.sign({ requestId: first, result: encodePrice(100n) })))
    const requestId = await f.requestPrice()
    const message = hexlify(Buffer.from('TIMEOUT: deadline of 10 s exceeded'))
    const receipt = await mined(fulfillAs(await f.sign({ requestId, status: 2, result: message })))

    const [fulfilled] = eventsNamed(receipt, f.oracle, 'RequestFulfilled')
    expect(fulfilled?.args.status).toBe(2n)
    expect(fulfilled?.args.hookSucceeded).toBe(true)
    const [failed] = eventsNamed(receipt, f.oracle, 'PriceRequestFailed')
    expect(failed?.args.toObject()).toEqual({ requestId, status: 2n, message })
    expect(await f.oracle.latestPrice()).toBe(100n)
    expect(await f.oracle.latestRequestId()).toBe(first)
    await expectPending(requestId, false)
  })

  describe('rejects', () => {
    it('a signer that was never admitted', async () => {
      const requestId = await f.requestPrice()
      const impostor = new Wallet(testKey('impostor'))
      const envelope = await f.sign({ requestId, result: encodePrice(1n) }, { signer: impostor })
      expect(await revertOf(fulfillAs(envelope))).toEqual({
        name: 'WorkerNotActive',
        args: [impostor.address],
      })
      await expectPending(requestId)
    })

    it('a worker the admin removed', async () => {
      const requestId = await f.requestPrice()
      const envelope = await f.sign({ requestId, result: encodePrice(1n) })
      await mined(f.registry.connect(f.admin).removeWorker(f.worker.address))
      expect(await revertOf(fulfillAs(envelope))).toEqual({
        name: 'WorkerNotActive',
        args: [f.worker.address],
      })
      await expectPending(requestId)
    })

    it('a worker whose admission expired', async () => {
      const requestId = await f.requestPrice()
      const envelope = await f.sign({ requestId, result: encodePrice(1n) })
      const now = BigInt((await f.provider.getBlock('latest'))!.timestamp)
      await anvil.increaseTime(Number(f.workerExpiresAt - now) + 1)
      expect(await revertOf(fulfillAs(envelope))).toEqual({
        name: 'WorkerNotActive',
        args: [f.worker.address],
      })
      await expectPending(requestId)
    })

    it('the old codeHash after the function was upgraded, and accepts the new one', async () => {
      const requestId = await f.requestPrice()
      const newCodeHash = keccak256(Buffer.from('bundle of the price function v2'))
      await mined(f.registry.connect(f.functionOwner).upgradeFunction(f.functionId, newCodeHash))
      const stale = await f.sign({ requestId, result: encodePrice(1n) })
      expect(await revertOf(fulfillAs(stale))).toEqual({
        name: 'CodeHashMismatch',
        args: [f.functionId, newCodeHash, f.codeHash],
      })
      await expectPending(requestId)
      await mined(fulfillAs(await f.sign({ requestId, codeHash: newCodeHash, result: encodePrice(2n) })))
      expect(await f.oracle.latestPrice()).toBe(2n)
    })

    it('an envelope for another function than the one requested', async () => {
      const requestId = await f.requestPrice()
      const otherId = id('teefn.examples.other')
      const otherCode = keccak256(Buffer.from('other bundle'))
      await mined(f.registry.connect(f.stranger).registerFunction(otherId, otherCode))
      const envelope = await f.sign({
        requestId,
        functionId: otherId,
        codeHash: otherCode,
        result: encodePrice(1n),
      })
      expect(await revertOf(fulfillAs(envelope))).toEqual({
        name: 'FunctionMismatch',
        args: [requestId, f.functionId, otherId],
      })
      await expectPending(requestId)
    })

    it('a replay of an accepted envelope', async () => {
      const requestId = await f.requestPrice()
      const envelope = await f.sign({ requestId, result: encodePrice(5n) })
      await mined(fulfillAs(envelope))
      expect(await revertOf(fulfillAs(envelope))).toEqual({ name: 'AlreadyFulfilled', args: [requestId] })
      // A different, validly signed answer for the same request is refused just the same.
      const second = await f.sign({ requestId, result: encodePrice(6n) })
      expect(await revertOf(fulfillAs(second))).toEqual({ name: 'AlreadyFulfilled', args: [requestId] })
      expect(await f.oracle.latestPrice()).toBe(5n)
    })

    it('an envelope signed for another chain id', async () => {
      const requestId = await f.requestPrice()
      const domain = teefnDomain(1n, await f.oracle.getAddress())
      const envelope = await f.sign({ requestId, result: encodePrice(1n) }, { domain })
      const revert = await revertOf(fulfillAs(envelope))
      expect(revert.name).toBe('WorkerNotActive')
      expect(revert.args[0]).not.toBe(f.worker.address)
      await expectPending(requestId)
    })

    it('an envelope signed for another consumer contract', async () => {
      const requestId = await f.requestPrice()
      const other = await deployTestConsumer(100_000)
      const envelope = await f.sign(
        { requestId, result: encodePrice(1n) },
        { consumer: await other.getAddress() },
      )
      const revert = await revertOf(fulfillAs(envelope))
      expect(revert.name).toBe('WorkerNotActive')
      expect(revert.args[0]).not.toBe(f.worker.address)
      await expectPending(requestId)
    })

    it('altered result bytes or status', async () => {
      const requestId = await f.requestPrice()
      const envelope = await f.sign({ requestId, result: encodePrice(100n) })
      for (const altered of [
        { ...envelope, result: encodePrice(101n) },
        { ...envelope, result: concat([envelope.result, '0x00']) },
        { ...envelope, status: 1 },
      ]) {
        const revert = await revertOf(fulfillAs(altered))
        expect(revert.name).toBe('WorkerNotActive')
        expect(revert.args[0]).not.toBe(f.worker.address)
      }
      await expectPending(requestId)
      await mined(fulfillAs(envelope))
      expect(await f.oracle.latestPrice()).toBe(100n)
    })

    it('an unknown request id', async () => {
      const requestId = id('never requested')
      const envelope = await f.sign({ requestId, result: encodePrice(1n) })
      expect(await revertOf(fulfillAs(envelope))).toEqual({ name: 'UnknownRequest', args: [requestId] })
    })

    it('malformed and malleable signatures', async () => {
      const requestId = await f.requestPrice()
      const envelope = await f.sign({ requestId, result: encodePrice(1n) })
      const sig = Signature.from(envelope.signature)
      const highS = toBeHex(SECP256K1_N - BigInt(sig.s), 32)
      const bytes = getBytes(envelope.signature)
      const withV = (v: number) => hexlify(concat([bytes.slice(0, 64), new Uint8Array([v])]))
      const malformed: BytesLike[] = [
        '0x',
        hexlify(bytes.slice(0, 64)), // ERC-2098 compact form is not accepted
        concat([envelope.signature, '0x00']),
        withV(0),
        withV(29),
        concat([zeroPadValue('0x', 32), zeroPadValue('0x', 32), '0x1b']),
        // Same r, s' = n - s, flipped v: ecrecover yields the worker, OpenZeppelin refuses the high s.
        concat([sig.r, highS, new Uint8Array([sig.v === 27 ? 28 : 27])]),
      ]
      for (const signature of malformed) {
        expect(await revertOf(fulfillAs({ ...envelope, signature }))).toEqual({
          name: 'InvalidSignature',
          args: [requestId],
        })
      }
      await expectPending(requestId)
    })
  })
})

describe('result hook', () => {
  const hookGasLimit = 300_000

  async function setup(mode: number, burnGas = 0n, revertDataSize = 0n) {
    const consumer = await deployTestConsumer(hookGasLimit)
    await mined(consumer.setMode(mode, burnGas, revertDataSize))
    const receipt = await mined(consumer.request(f.functionId, '0x'))
    const requestId = eventsNamed(receipt, consumer, 'RequestSent')[0]!.args.requestId as string
    const envelope = await f.sign({ requestId, result: '0xbeef' }, { consumer: await consumer.getAddress() })
    return { consumer: consumer.connect(f.relayer), requestId, envelope }
  }

  it('runs with the envelope data when it succeeds', async () => {
    const { consumer, requestId, envelope } = await setup(HookMode.Record)
    const receipt = await mined(consumer.fulfill(envelope))
    expect(eventsNamed(receipt, consumer, 'RequestFulfilled')[0]?.args.hookSucceeded).toBe(true)
    expect([await consumer.hookCalls(), await consumer.lastRequestId(), await consumer.lastResult()]).toEqual(
      [1n, requestId, '0xbeef'],
    )
  })

  it('records a reverting hook; the request counts as fulfilled and is not retried', async () => {
    const { consumer, requestId, envelope } = await setup(HookMode.Revert)
    const receipt = await mined(consumer.fulfill(envelope))
    expect(receipt.status).toBe(1)
    const [fulfilled] = eventsNamed(receipt, consumer, 'RequestFulfilled')
    expect(fulfilled?.args.hookSucceeded).toBe(false)
    const [failed] = eventsNamed(receipt, consumer, 'HookFailed')
    expect(failed?.args.reason).toBe(consumer.interface.encodeErrorResult('HookFailedOnPurpose', [requestId]))
    expect(await consumer.hookCalls()).toBe(0n)
    expect(requestStateName((await consumer.requestInfo(requestId)).state)).toBe('FulfilledHookFailed')
    expect(await consumer.isPending(requestId)).toBe(false)
    expect(await revertOf(consumer.fulfill(envelope))).toEqual({
      name: 'AlreadyFulfilled',
      args: [requestId],
    })
  })

  it('records a hook that burns all its gas, and spends no more than the bound on it', async () => {
    const { consumer, requestId, envelope } = await setup(HookMode.BurnAllGas)
    const receipt = await mined(consumer.fulfill(envelope))
    expect(eventsNamed(receipt, consumer, 'RequestFulfilled')[0]?.args.hookSucceeded).toBe(false)
    expect(eventsNamed(receipt, consumer, 'HookFailed')[0]?.args.reason).toBe('0x')
    expect(requestStateName((await consumer.requestInfo(requestId)).state)).toBe('FulfilledHookFailed')
    expect(receipt.gasUsed).toBeGreaterThan(BigInt(hookGasLimit))
    expect(receipt.gasUsed).toBeLessThan(BigInt(hookGasLimit) + 100_000n)
  })

  it('logs at most MAX_HOOK_REASON_BYTES of a huge revert', async () => {
    const { consumer, envelope } = await setup(HookMode.RevertWithHugeData, 0n, 100_000n)
    const receipt = await mined(consumer.fulfill(envelope))
    const reason = eventsNamed(receipt, consumer, 'HookFailed')[0]?.args.reason as string
    expect(getBytes(reason).length).toBe(Number(await consumer.MAX_HOOK_REASON_BYTES()))
    expect(getBytes(reason).length).toBe(256)
  })

  it('sees the request as fulfilled when it re-enters fulfill for the same request', async () => {
    const { consumer, envelope } = await setup(HookMode.Reenter)
    await mined(consumer.setReentryEnvelope(envelope))
    const receipt = await mined(consumer.fulfill(envelope))
    expect(eventsNamed(receipt, consumer, 'RequestFulfilled')).toHaveLength(1)
    expect(await consumer.reentryError()).toBe(consumer.interface.getError('AlreadyFulfilled')!.selector)
    expect(await consumer.hookCalls()).toBe(1n)
  })

  it('can be entered only by the contract itself', async () => {
    const { consumer, requestId } = await setup(HookMode.Record)
    expect(await revertOf(consumer.teefnFulfillmentHook(requestId, 0, '0x'))).toEqual({
      name: 'OnlySelf',
      args: [],
    })
  })

  it('cannot be starved by a submitter: too little gas reverts the fulfilment instead of failing the hook', async () => {
    // The hook needs ~900k of its 1M bound; with EIP-150 a caller could hand it 63/64 of too little gas and
    // keep 1/64 to record a "failed" hook. Every gas limit below the estimate must revert the transaction.
    const bound = 1_000_000
    const consumer = (await deployTestConsumer(bound)).connect(f.relayer)
    await mined(consumer.connect(f.admin).setMode(HookMode.BurnThenRecord, 900_000n, 0n))
    const receipt = await mined(consumer.connect(f.admin).request(f.functionId, '0x'))
    const requestId = eventsNamed(receipt, consumer, 'RequestSent')[0]!.args.requestId as string
    const envelope = await f.sign({ requestId, result: '0x01' }, { consumer: await consumer.getAddress() })

    const estimate = await consumer.fulfill.estimateGas(envelope)
    expect(estimate).toBeGreaterThan(BigInt(bound))
    expect(await revertOf(consumer.fulfill.staticCall(envelope, { gasLimit: estimate - 5_000n }))).toEqual({
      name: 'InsufficientGasForHook',
      args: [BigInt(bound)],
    })
    const shortOfEstimate = [400_000n, 200_000n, 50_000n, 10_000n, 2_000n, 1n].map(
      (short) => estimate - short,
    )
    for (const gasLimit of [150_000n, 400_000n, 700_000n, 950_000n, 1_000_000n, ...shortOfEstimate]) {
      const tx = await consumer.fulfill(envelope, { gasLimit })
      // Never "fulfilled with a failed hook": the transaction reverts and the request stays pending.
      expect((await waitForReceipt(f.provider, tx.hash)).status, `gas limit ${gasLimit}`).toBe(0)
      expect(await consumer.isPending(requestId)).toBe(true)
    }
    const ok = await mined(consumer.fulfill(envelope, { gasLimit: estimate }))
    expect(eventsNamed(ok, consumer, 'RequestFulfilled')[0]?.args.hookSucceeded).toBe(true)
    expect(await consumer.hookCalls()).toBe(1n)
  })
})

describe('fulfillBatch', () => {
  it('accepts the good envelopes and skips each bad one with its reason', async () => {
    const [r1, r2, r3, r4] = [
      await f.requestPrice(),
      await f.requestPrice(),
      await f.requestPrice(),
      await f.requestPrice(),
    ]
    const impostor = new Wallet(testKey('impostor'))
    const good1 = await f.sign({ requestId: r1!, result: encodePrice(10n) })
    const good2 = await f.sign({ requestId: r3!, result: encodePrice(30n) })
    const batch = [
      good1,
      await f.sign({ requestId: r2!, result: encodePrice(20n) }, { signer: impostor }),
      { ...(await f.sign({ requestId: r4!, result: encodePrice(40n) })), signature: '0x1234' },
      good2,
      good1, // duplicate inside the batch
      await f.sign({ requestId: id('unknown'), result: encodePrice(1n) }),
      await f.sign({ requestId: r4!, codeHash: id('not the code'), result: encodePrice(40n) }),
      await f.sign({ requestId: r4!, functionId: id('other function'), result: encodePrice(40n) }),
    ]
    const relayerOracle = f.oracle.connect(f.relayer)
    expect(await relayerOracle.fulfillBatch.staticCall(batch)).toBe(2n)
    const receipt = await mined(relayerOracle.fulfillBatch(batch))

    const rejected = eventsNamed(receipt, f.oracle, 'FulfillmentRejected').map((e) => [
      e.args.requestId,
      rejectReasonName(e.args.reason),
    ])
    expect(rejected).toEqual([
      [r2, 'WorkerNotActive'],
      [r4, 'InvalidSignature'],
      [r1, 'AlreadyFulfilled'],
      [id('unknown'), 'UnknownRequest'],
      [r4, 'CodeHashMismatch'],
      [r4, 'FunctionMismatch'],
    ])
    expect(eventsNamed(receipt, f.oracle, 'RequestFulfilled').map((e) => e.args.requestId)).toEqual([r1, r3])
    expect(eventsNamed(receipt, f.oracle, 'BatchFulfilled')[0]?.args.toObject()).toEqual({
      accepted: 2n,
      total: 8n,
    })
    expect([
      await f.oracle.isPending(r1!),
      await f.oracle.isPending(r2!),
      await f.oracle.isPending(r3!),
    ]).toEqual([false, true, false])
    expect(await f.oracle.isPending(r4!)).toBe(true)
    expect(await f.oracle.latestPrice()).toBe(30n)
  })

  it('accepts an empty batch', async () => {
    const receipt = await mined(f.oracle.connect(f.relayer).fulfillBatch([]))
    expect(eventsNamed(receipt, f.oracle, 'BatchFulfilled')[0]?.args.toObject()).toEqual({
      accepted: 0n,
      total: 0n,
    })
  })

  it('reverts as a whole when the gas cannot cover a hook, leaving every request pending', async () => {
    const requests = [await f.requestPrice(), await f.requestPrice()]
    const batch = await Promise.all(
      requests.map((requestId) => f.sign({ requestId, result: encodePrice(7n) })),
    )
    const estimate = await f.oracle.connect(f.relayer).fulfillBatch.estimateGas(batch)
    expect(
      await revertOf(
        f.oracle.connect(f.relayer).fulfillBatch.staticCall(batch, { gasLimit: estimate - 20_000n }),
      ),
    ).toEqual({ name: 'InsufficientGasForHook', args: [200_000n] })
    for (const requestId of requests) await expectPending(requestId)
  })
})

describe('constructor', () => {
  it('refuses a zero registry and a zero hook gas limit', async () => {
    const registry = await f.registry.getAddress()
    for (const [args, error] of [
      [['0x0000000000000000000000000000000000000000', 100_000], 'ZeroRegistry'],
      [[registry, 0], 'ZeroHookGasLimit'],
    ] as const) {
      const failure = (await deploy('TestConsumer', f.admin, [...args]).catch((e: unknown) => e)) as {
        data?: string
      }
      expect(failure.data).toBe(f.oracle.interface.getError(error)!.selector)
    }
  })
})
