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
import { type AnvilInstance, waitForReceipt } from '../dev/startAnvil.js'
import { computeEvmRequestId } from '../runtime/chain/evm/computeEvmRequestId.js'
import { rejectReasonName, requestStateName } from '../runtime/chain/evm/consumerCodes.js'
import {
  deployTestConsumer as deployTestConsumerFrom,
  encodePrice,
  eventsNamed,
  mined,
  revertOf,
  sentRequestsOf,
  type TeefnContractsFixture,
  type TestConsumerContract,
  testKey,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { deploy } from './artifacts.js'
import { FULFILLMENT_TYPES, hashFulfillment, hashPayload, teefnDomain } from './fulfillmentTypedData.js'

const HookMode = { Record: 0, Revert: 1, BurnAllGas: 2, BurnThenRecord: 3, RevertWithHugeData: 4, Reenter: 5 }
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const ETH_USD = hexlify(Buffer.from('{"pair":"ETH/USD"}'))
const BTC_USD = hexlify(Buffer.from('{"pair":"BTC/USD"}'))

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({ isolate: true }, (chain) => {
  ;({ anvil, f } = chain)
})

function fulfillAs(envelope: object) {
  return f.oracle.connect(f.relayer).fulfill(envelope as never)
}

function fulfillBatchAs(envelopes: object[]) {
  return f.oracle.connect(f.relayer).fulfillBatch(envelopes as never)
}

async function expectPending(requestId: string, pending = true) {
  expect(await f.oracle.isPending(requestId)).toBe(pending)
}

async function stateOf(requestId: string, consumer: { requestInfo: typeof f.oracle.requestInfo } = f.oracle) {
  return requestStateName((await consumer.requestInfo(requestId)).state)
}

/** Rejections of a batch receipt as [requestId, reason name]. */
function rejectionsIn(receipt: Parameters<typeof eventsNamed>[0]) {
  return eventsNamed(receipt, f.oracle, 'FulfillmentRejected').map((e) => [
    e.args.requestId,
    rejectReasonName(e.args.reason),
  ])
}

/** The next block is mined at exactly `timestamp`. */
async function nextBlockAt(timestamp: bigint) {
  await anvil.rpc('evm_setNextBlockTimestamp', [Number(timestamp)])
}

async function pastDeadline(deadline: bigint) {
  const now = BigInt((await f.provider.getBlock('latest'))!.timestamp)
  await anvil.increaseTime(Number(deadline - now) + 1)
}

async function deployTestConsumer(hookGasLimit: number, requestTimeout?: number) {
  return deployTestConsumerFrom(f.admin, {
    registry: await f.registry.getAddress(),
    hookGasLimit,
    requestTimeout,
  })
}

async function requestOn(consumer: TestConsumerContract, payload: string, from: Wallet = f.admin) {
  const receipt = await mined(consumer.connect(from).request(f.functionId, payload))
  return sentRequestsOf(receipt, await consumer.getAddress())[0]!
}

describe('requests', () => {
  it('issues a content-bound id, stores the request pending and emits RequestSent', async () => {
    const oracle = await f.oracle.getAddress()
    const receipt = await mined(f.oracle.connect(f.oracleOwner).requestPrice(ETH_USD))
    const block = await f.provider.getBlock(receipt.blockNumber)
    const deadline = BigInt(block!.timestamp) + BigInt(f.requestTimeout)
    const requestId = computeEvmRequestId({
      chainId: f.chainId,
      consumer: oracle,
      nonce: 0n,
      requester: f.oracleOwner.address,
      functionId: f.functionId,
      payloadHash: keccak256(ETH_USD),
    })
    const [event] = eventsNamed(receipt, f.oracle, 'RequestSent')
    expect(event?.args.toObject()).toEqual({
      requestId,
      functionId: f.functionId,
      requester: f.oracleOwner.address,
      nonce: 0n,
      deadline,
      payload: ETH_USD,
    })
    expect(event?.topic).toBe(id('RequestSent(bytes32,bytes32,address,uint64,uint64,bytes)'))
    expect(await f.oracle.computeRequestId(0n, f.oracleOwner.address, f.functionId, keccak256(ETH_USD))).toBe(
      requestId,
    )
    const info = await f.oracle.requestInfo(requestId)
    expect([...info]).toEqual([f.functionId, f.oracleOwner.address, 0n, deadline, 1n])
    expect([info.functionId, info.requester, info.nonce, info.deadline]).toEqual([...info].slice(0, 4))
    expect(requestStateName(info.state)).toBe('Pending')
    await expectPending(requestId)
    expect(await f.oracle.requestTimeout()).toBe(BigInt(f.requestTimeout))
  })

  it('gives the same payload a new id at every nonce', async () => {
    const first = await f.sendPriceRequest(ETH_USD)
    const second = await f.sendPriceRequest(ETH_USD)
    expect([first.nonce, second.nonce]).toEqual([0n, 1n])
    expect(second.requestId).not.toBe(first.requestId)
    expect(await f.oracle.requestCount()).toBe(2n)
    expect((await f.oracle.requestInfo(second.requestId)).nonce).toBe(1n)
  })

  it('computeRequestId matches computeEvmRequestId, up to the largest nonce', async () => {
    const consumer = await f.oracle.getAddress()
    for (const [nonce, requester, payload] of [
      [0n, f.oracleOwner.address, '0x'],
      [41n, f.stranger.address, ETH_USD],
      [(1n << 64n) - 1n, '0x000000000000000000000000000000000000dEaD', BTC_USD],
    ] as const) {
      const payloadHash = hashPayload(payload)
      expect(await f.oracle.computeRequestId(nonce, requester, f.functionId, payloadHash)).toBe(
        computeEvmRequestId({
          chainId: f.chainId,
          consumer,
          nonce,
          requester,
          functionId: f.functionId,
          payloadHash,
        }),
      )
    }
  })

  it('knows nothing of an id it did not issue', async () => {
    const info = await f.oracle.requestInfo(id('never requested'))
    expect([info.requester, info.nonce, info.deadline, requestStateName(info.state)]).toEqual([
      '0x0000000000000000000000000000000000000000',
      0n,
      0n,
      'None',
    ])
    await expectPending(id('never requested'), false)
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
      payloadHash: hashPayload(ETH_USD),
      codeHash: f.codeHash,
      status: 3,
      result: '0x1234',
    }
    const onChain = (payloadHash: string) =>
      f.oracle.hashFulfillment(
        fields.requestId,
        f.functionId,
        payloadHash,
        f.codeHash,
        3,
        keccak256('0x1234'),
      )
    expect(await onChain(fields.payloadHash)).toBe(hashFulfillment(domain, fields))
    // The payload hash is part of what is signed.
    expect(await onChain(hashPayload(BTC_USD))).not.toBe(hashFulfillment(domain, fields))
    expect(await f.oracle.domainSeparator()).toBe(TypedDataEncoder.hashDomain(domain))
    expect(await f.oracle.FULFILLMENT_TYPEHASH()).toBe(
      id(TypedDataEncoder.from(FULFILLMENT_TYPES).encodeType('Fulfillment')),
    )
    expect(await f.oracle.FULFILLMENT_TYPEHASH()).toBe(
      id(
        'Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 payloadHash,bytes32 codeHash,uint8 status,bytes32 resultHash)',
      ),
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
    expect(await stateOf(requestId)).toBe('Fulfilled')
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
      const { requestId, deadline } = await f.sendPriceRequest()
      const envelope = await f.sign({ requestId, result: encodePrice(1n) })
      // Re-admitted until well before the request's deadline, so the admission is what lapses.
      const expiresAt = deadline - 600n
      await mined(f.registry.admitWorker(f.worker.address, f.workerAttestationHash, expiresAt))
      const now = BigInt((await f.provider.getBlock('latest'))!.timestamp)
      await anvil.increaseTime(Number(expiresAt - now) + 1)
      await expectPending(requestId)
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

    it('an answer to another payload, though signed by an admitted worker (PayloadMismatch)', async () => {
      const { requestId } = await f.sendPriceRequest(ETH_USD)
      const mismatch = { name: 'PayloadMismatch', args: [requestId] }
      // The signature is valid and by the worker: only the question it answers differs.
      const forBtc = await f.sign({ requestId, payloadHash: hashPayload(BTC_USD), result: encodePrice(1n) })
      expect(await revertOf(fulfillAs(forBtc))).toEqual(mismatch)
      // The honest envelope with its payloadHash swapped fails the same way, before its signature is checked,
      const honest = await f.sign({ requestId, result: encodePrice(2n) })
      expect(honest.payloadHash).toBe(hashPayload(ETH_USD))
      expect(await revertOf(fulfillAs({ ...honest, payloadHash: hashPayload(BTC_USD) }))).toEqual(mismatch)
      // and ahead of the codeHash and signature rules.
      expect(await revertOf(fulfillAs({ ...forBtc, codeHash: id('not the code'), signature: '0x' }))).toEqual(
        mismatch,
      )
      await expectPending(requestId)
      await mined(fulfillAs(honest))
      expect(await f.oracle.latestPrice()).toBe(2n)
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
    const { requestId } = await requestOn(consumer, '0x')
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
    expect(await stateOf(requestId, consumer)).toBe('FulfilledHookFailed')
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
    expect(await stateOf(requestId, consumer)).toBe('FulfilledHookFailed')
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
    const { requestId } = await requestOn(consumer, '0x')
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
      await f.sign({ requestId: r4!, payloadHash: hashPayload(BTC_USD), result: encodePrice(40n) }),
    ]
    const relayerOracle = f.oracle.connect(f.relayer)
    expect(await relayerOracle.fulfillBatch.staticCall(batch)).toBe(2n)
    const receipt = await mined(relayerOracle.fulfillBatch(batch))

    expect(rejectionsIn(receipt)).toEqual([
      [r2, 'WorkerNotActive'],
      [r4, 'InvalidSignature'],
      [r1, 'AlreadyFulfilled'],
      [id('unknown'), 'UnknownRequest'],
      [r4, 'CodeHashMismatch'],
      [r4, 'FunctionMismatch'],
      [r4, 'PayloadMismatch'],
    ])
    expect(eventsNamed(receipt, f.oracle, 'RequestFulfilled').map((e) => e.args.requestId)).toEqual([r1, r3])
    expect(eventsNamed(receipt, f.oracle, 'BatchFulfilled')[0]?.args.toObject()).toEqual({
      accepted: 2n,
      total: 9n,
    })
    expect([
      await f.oracle.isPending(r1!),
      await f.oracle.isPending(r2!),
      await f.oracle.isPending(r3!),
    ]).toEqual([false, true, false])
    expect(await f.oracle.isPending(r4!)).toBe(true)
    expect(await f.oracle.latestPrice()).toBe(30n)
  })

  it('refuses an answer to another payload signed by an admitted worker, and accepts the rest', async () => {
    const eth = await f.sendPriceRequest(ETH_USD)
    const btc = await f.sendPriceRequest(BTC_USD)
    // The BTC answer, relabelled as the answer to the ETH request, is signed by the worker.
    const relabelled = await f.sign({
      requestId: eth.requestId,
      payloadHash: btc.payloadHash,
      result: encodePrice(60_000n),
    })
    const honest = await f.sign({ requestId: btc.requestId, result: encodePrice(60_000n) })
    const receipt = await mined(fulfillBatchAs([relabelled, honest]))
    expect(rejectionsIn(receipt)).toEqual([[eth.requestId, 'PayloadMismatch']])
    expect(eventsNamed(receipt, f.oracle, 'RequestFulfilled').map((e) => e.args.requestId)).toEqual([
      btc.requestId,
    ])
    await expectPending(eth.requestId)
    expect(await f.oracle.latestRequestId()).toBe(btc.requestId)
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

describe('a reorg that replaces a request', () => {
  it('gives the replacing request another id, and refuses the old answer as UnknownRequest', async () => {
    const snapshot = await anvil.snapshot()
    const a = await f.sendPriceRequest(ETH_USD)
    const answerToA = await f.sign({ requestId: a.requestId, result: encodePrice(3_000n) })
    await anvil.revert(snapshot) // A's block is gone
    const b = await f.sendPriceRequest(BTC_USD)

    expect(b.nonce).toBe(a.nonce)
    expect(b.requester).toBe(a.requester)
    expect(b.requestId).not.toBe(a.requestId)
    expect(await stateOf(a.requestId)).toBe('None')
    expect(await revertOf(fulfillAs(answerToA))).toEqual({ name: 'UnknownRequest', args: [a.requestId] })
    expect(rejectionsIn(await mined(fulfillBatchAs([answerToA])))).toEqual([[a.requestId, 'UnknownRequest']])
    // Nor can A's answer be pointed at B: it is signed over A's payload.
    expect(await revertOf(fulfillAs({ ...answerToA, requestId: b.requestId }))).toEqual({
      name: 'PayloadMismatch',
      args: [b.requestId],
    })
    await expectPending(b.requestId)
    await mined(fulfillAs(await f.sign({ requestId: b.requestId, result: encodePrice(60_000n) })))
    expect(await f.oracle.latestPrice()).toBe(60_000n)
  })

  it('binds the requester: the same payload at the same nonce from another account is another request', async () => {
    const consumer = await deployTestConsumer(100_000)
    const address = await consumer.getAddress()
    const snapshot = await anvil.snapshot()
    const a = await requestOn(consumer, ETH_USD, f.stranger)
    const answerToA = await f.sign({ requestId: a.requestId, result: '0x01' }, { consumer: address })
    await anvil.revert(snapshot)
    const b = await requestOn(consumer, ETH_USD, f.relayer)

    expect([b.nonce, b.payloadHash]).toEqual([a.nonce, a.payloadHash])
    expect(b.requestId).not.toBe(a.requestId)
    expect(await revertOf(consumer.connect(f.relayer).fulfill(answerToA))).toEqual({
      name: 'UnknownRequest',
      args: [a.requestId],
    })
    expect(await consumer.isPending(b.requestId)).toBe(true)
  })
})

describe('deadline', () => {
  it('accepts an envelope mined at the deadline, and refuses one a second later', async () => {
    const onTime = await f.sendPriceRequest()
    const late = await f.sendPriceRequest()
    await nextBlockAt(onTime.deadline)
    await mined(fulfillAs(await f.sign({ requestId: onTime.requestId, result: encodePrice(1n) })))
    expect(await stateOf(onTime.requestId)).toBe('Fulfilled')

    const envelope = await f.sign({ requestId: late.requestId, result: encodePrice(2n) })
    await nextBlockAt(late.deadline + 1n)
    await anvil.mine()
    await expectPending(late.requestId, false)
    expect(await revertOf(fulfillAs(envelope))).toEqual({
      name: 'RequestExpired',
      args: [late.requestId, late.deadline],
    })
    // fulfill only reverts: the request is still stored as Pending.
    expect(await stateOf(late.requestId)).toBe('Pending')
    expect(await f.oracle.latestPrice()).toBe(1n)
  })

  it('checks the deadline before the function, payload, code and signature', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    const impostor = new Wallet(testKey('impostor'))
    const forged = await f.sign(
      { requestId, functionId: id('other'), payloadHash: id('other payload'), codeHash: id('other code') },
      { signer: impostor },
    )
    await pastDeadline(deadline)
    expect(await revertOf(fulfillAs(forged))).toEqual({ name: 'RequestExpired', args: [requestId, deadline] })
  })

  it('keeps a fulfilled request fulfilled after its deadline', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    const envelope = await f.sign({ requestId, result: encodePrice(1n) })
    await mined(fulfillAs(envelope))
    await pastDeadline(deadline)
    expect(await revertOf(fulfillAs(envelope))).toEqual({ name: 'AlreadyFulfilled', args: [requestId] })
    expect(await stateOf(requestId)).toBe('Fulfilled')
  })

  it('is recorded by fulfillBatch: state Expired and one RequestExpired event', async () => {
    const late = await f.sendPriceRequest()
    const envelope = await f.sign({ requestId: late.requestId, result: encodePrice(1n) })
    await pastDeadline(late.deadline)
    const fresh = await f.sendPriceRequest()
    const good = await f.sign({ requestId: fresh.requestId, result: encodePrice(2n) })

    const receipt = await mined(fulfillBatchAs([envelope, good, envelope]))
    expect(eventsNamed(receipt, f.oracle, 'RequestExpired').map((e) => e.args.requestId)).toEqual([
      late.requestId,
    ])
    expect(rejectionsIn(receipt)).toEqual([
      [late.requestId, 'RequestExpired'],
      [late.requestId, 'RequestExpired'],
    ])
    expect(eventsNamed(receipt, f.oracle, 'BatchFulfilled')[0]?.args.accepted).toBe(1n)
    expect(await stateOf(late.requestId)).toBe('Expired')
    expect(await stateOf(fresh.requestId)).toBe('Fulfilled')

    const again = await mined(fulfillBatchAs([envelope]))
    expect(eventsNamed(again, f.oracle, 'RequestExpired')).toEqual([])
    expect(rejectionsIn(again)).toEqual([[late.requestId, 'RequestExpired']])
    expect(await revertOf(fulfillAs(envelope))).toEqual({
      name: 'RequestExpired',
      args: [late.requestId, late.deadline],
    })
  })
})

describe('cancelRequest', () => {
  it('lets the requester cancel after the deadline; the request then refuses every answer', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    const envelope = await f.sign({ requestId, result: encodePrice(1n) })
    await pastDeadline(deadline)
    const receipt = await mined(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))
    expect(eventsNamed(receipt, f.oracle, 'RequestCancelled')[0]?.args.toObject()).toEqual({
      requestId,
      requester: f.oracleOwner.address,
    })
    expect(await stateOf(requestId)).toBe('Cancelled')
    await expectPending(requestId, false)

    const cancelled = { name: 'RequestCancelled', args: [requestId] }
    expect(await revertOf(fulfillAs(envelope))).toEqual(cancelled)
    expect(rejectionsIn(await mined(fulfillBatchAs([envelope])))).toEqual([[requestId, 'RequestCancelled']])
    expect(await revertOf(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))).toEqual(cancelled)
  })

  it('refuses anyone but the requester', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    await pastDeadline(deadline)
    expect(await revertOf(f.oracle.connect(f.stranger).cancelRequest(requestId))).toEqual({
      name: 'NotRequester',
      args: [requestId, f.stranger.address],
    })
    expect(await stateOf(requestId)).toBe('Pending')
  })

  it('refuses before the deadline, including at the deadline itself', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    const notExpired = { name: 'RequestNotExpired', args: [requestId, deadline] }
    expect(await revertOf(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))).toEqual(notExpired)
    await nextBlockAt(deadline)
    const tx = await f.oracle.connect(f.oracleOwner).cancelRequest(requestId, { gasLimit: 200_000n })
    const receipt = await waitForReceipt(f.provider, tx.hash)
    expect(receipt.status).toBe(0)
    // Replayed in that block (timestamp == deadline): the reason it failed.
    const replay = f.oracle
      .connect(f.oracleOwner)
      .cancelRequest.staticCall(requestId, { blockTag: receipt.blockNumber })
    expect(await revertOf(replay)).toEqual(notExpired)
    expect(await stateOf(requestId)).toBe('Pending')
  })

  it('refuses an unknown or fulfilled request', async () => {
    expect(await revertOf(f.oracle.connect(f.oracleOwner).cancelRequest(id('never')))).toEqual({
      name: 'UnknownRequest',
      args: [id('never')],
    })
    const { requestId, deadline } = await f.sendPriceRequest()
    await mined(fulfillAs(await f.sign({ requestId, result: encodePrice(1n) })))
    await pastDeadline(deadline)
    expect(await revertOf(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))).toEqual({
      name: 'AlreadyFulfilled',
      args: [requestId],
    })
  })

  it('still lets the requester cancel a request fulfillBatch recorded as Expired', async () => {
    const { requestId, deadline } = await f.sendPriceRequest()
    const envelope = await f.sign({ requestId, result: encodePrice(1n) })
    await pastDeadline(deadline)
    await mined(fulfillBatchAs([envelope]))
    expect(await stateOf(requestId)).toBe('Expired')
    await mined(f.oracle.connect(f.oracleOwner).cancelRequest(requestId))
    expect(await stateOf(requestId)).toBe('Cancelled')
  })

  it('calls _onRequestCancelled once; _cancelRequest skips the requester and deadline checks', async () => {
    const consumer = await deployTestConsumer(100_000, 60)
    const byStranger = await requestOn(consumer, ETH_USD, f.stranger)
    await pastDeadline(byStranger.deadline)
    await mined(consumer.connect(f.stranger).cancelRequest(byStranger.requestId))
    expect([await consumer.cancelCalls(), await consumer.lastCancelledId()]).toEqual([
      1n,
      byStranger.requestId,
    ])

    const fresh = await requestOn(consumer, BTC_USD, f.stranger)
    const envelope = await f.sign(
      { requestId: fresh.requestId, result: '0x01' },
      { consumer: await consumer.getAddress() },
    )
    const receipt = await mined(consumer.connect(f.relayer).forceCancel(fresh.requestId))
    expect(eventsNamed(receipt, consumer, 'RequestCancelled')[0]?.args.toObject()).toEqual({
      requestId: fresh.requestId,
      requester: f.stranger.address,
    })
    expect(await consumer.cancelCalls()).toBe(2n)
    expect(await revertOf(consumer.connect(f.relayer).fulfill(envelope))).toEqual({
      name: 'RequestCancelled',
      args: [fresh.requestId],
    })
    expect(await revertOf(consumer.forceCancel(fresh.requestId))).toEqual({
      name: 'RequestCancelled',
      args: [fresh.requestId],
    })
  })
})

describe('signing up', () => {
  it('registers every consumer in its registry when it is deployed, and lets it leave and come back', async () => {
    expect(await f.registry.isConsumer(await f.oracle.getAddress())).toBe(true)
    const consumer = await deployTestConsumer(100_000)
    const address = await consumer.getAddress()
    const deployment = await waitForReceipt(f.provider, consumer.deploymentTransaction()!.hash)
    expect(
      eventsNamed(deployment, f.registry, 'ConsumerRegistered').map((event) => event.args.consumer),
    ).toEqual([address])
    expect(await f.registry.isConsumer(address)).toBe(true)

    await mined(consumer.leaveRegistry())
    expect(await f.registry.isConsumer(address)).toBe(false)
    // Leaving changes nothing the contract itself checks: requests and envelopes work as before.
    const { requestId } = await requestOn(consumer, '0x01')
    await mined(consumer.connect(f.relayer).fulfill(await f.sign({ requestId }, { consumer: address })))
    expect(await consumer.hookCalls()).toBe(1n)
    expect(await revertOf(consumer.leaveRegistry())).toEqual({
      name: 'ConsumerNotRegistered',
      args: [address],
    })
    await mined(consumer.rejoinRegistry())
    expect(await f.registry.isConsumer(address)).toBe(true)
  })

  it('cannot be deployed against an address that is no registry', async () => {
    const failure = await deploy('TestConsumer', f.admin, [f.stranger.address, 100_000, 60]).catch(
      (e: unknown) => e,
    )
    expect(failure).toBeInstanceOf(Error)
  })
})

describe('constructor', () => {
  it('refuses a zero registry, a zero hook gas limit and a zero request timeout', async () => {
    const registry = await f.registry.getAddress()
    for (const [args, error] of [
      [['0x0000000000000000000000000000000000000000', 100_000, 60], 'ZeroRegistry'],
      [[registry, 0, 60], 'ZeroHookGasLimit'],
      [[registry, 100_000, 0], 'ZeroRequestTimeout'],
    ] as const) {
      const failure = (await deploy('TestConsumer', f.admin, [...args]).catch((e: unknown) => e)) as {
        data?: string
      }
      expect(failure.data).toBe(f.oracle.interface.getError(error)!.selector)
    }
  })
})
