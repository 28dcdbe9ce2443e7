import { AbiCoder, hexlify, Interface, id, keccak256, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../../dev/startAnvil.js'
import { rejectionOf } from '../../../test/support/rejectionOf.js'
import { type LyingRpcProxy, startLyingRpcProxy } from '../../../test/support/startLyingRpcProxy.js'
import {
  deployForgedRequestEmitter,
  deployTestConsumer,
  mined,
  type SentRequest,
  sentRequestsOf,
  type TeefnContractsFixture,
} from '../../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../../test/support/useTeefnChain.js'
import type { Hex } from '../../bytes.js'
import { ChainReadError } from '../ChainReadError.js'
import { createEvmChainReader, type EvmChainReader } from './createEvmChainReader.js'
import { functionInfoCalldata } from './registryCalls.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

const proxies: LyingRpcProxy[] = []
const readers: EvmChainReader[] = []
let otherChain: AnvilInstance
beforeAll(async () => {
  otherChain = await startAnvil({ chainId: 31338 })
})
afterAll(async () => {
  for (const reader of readers) reader.close()
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await otherChain?.stop()
})

const proxy = async () => {
  const started = await startLyingRpcProxy(anvil.rpcUrl)
  proxies.push(started)
  return started
}

const readerOf = (rpcUrls: string[], quorum: number, confirmations = 0) => {
  const reader = createEvmChainReader({
    chainId: anvil.chainId,
    registry: String(f.registry.target),
    rpcUrls,
    quorum,
    confirmations,
    timeoutMs: 2_000,
  })
  readers.push(reader)
  return reader
}

const hintOf = (sent: SentRequest) => ({
  consumer: String(f.oracle.target),
  requestId: sent.requestId as Hex,
  functionId: sent.functionId as Hex,
  blockNumber: sent.receipt.blockNumber,
})

/** A lie: the registry names other code (and owner) for every function. */
const otherCode = keccak256(toUtf8Bytes('attacker code'))
const lieAboutCode = (call: { method: string; params: unknown[] }, result: unknown) => {
  const [tx] = call.params as [{ data?: string }]
  if (
    call.method !== 'eth_call' ||
    !tx?.data?.startsWith(functionInfoCalldata(`0x${'00'.repeat(32)}`).slice(0, 10))
  ) {
    return result
  }
  return AbiCoder.defaultAbiCoder().encode(
    ['bytes32', 'address', 'bool'],
    [otherCode, f.stranger.address, false],
  )
}

describe('createEvmChainReader', () => {
  it('reads a request, its function and the worker at the confirmed head, recomputing the id', async () => {
    const honest = await proxy()
    const sent = await f.sendPriceRequest(hexlify(toUtf8Bytes('{"pair":"ETH/USD"}')))
    const reader = readerOf([anvil.rpcUrl, honest.url], 2)
    const reading = await reader.readRequest(hintOf(sent), { worker: f.worker.address as Hex })
    expect(reading.request).toMatchObject({
      consumer: f.oracle.target,
      requestId: sent.requestId,
      functionId: f.functionId,
      requester: f.oracleOwner.address,
      nonce: sent.nonce,
      deadline: sent.deadline,
      payload: sent.payload,
      payloadHash: sent.payloadHash,
      blockNumber: sent.receipt.blockNumber,
      transactionHash: sent.receipt.hash,
    })
    expect(reading.fn).toEqual({ codeHash: f.codeHash, owner: f.functionOwner.address, locked: false })
    expect(reading.workerActive).toBe(true)
    expect(reading.at.number).toBe(await f.provider.getBlockNumber())
    expect(honest.calls().eth_getLogs).toBeGreaterThan(0)

    const stranger = await reader.readFunction(f.functionId as Hex, { worker: f.stranger.address as Hex })
    expect(stranger.workerActive).toBe(false)
    expect(stranger.workerAdmission).toBeUndefined()
    const admitted = await reader.readFunction(f.functionId as Hex, {
      worker: f.worker.address as Hex,
      admission: true,
    })
    const [attestationHash, expiresAt] = await f.registry.workerInfo(f.worker.address)
    expect(admitted.workerAdmission).toEqual({ attestationHash, expiresAt: Number(expiresAt) })
    expect(admitted.workerAdmission!.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000))
    const never = await reader.readFunction(f.functionId as Hex, {
      worker: f.stranger.address as Hex,
      admission: true,
    })
    expect(never.workerAdmission).toEqual({ attestationHash: `0x${'00'.repeat(32)}`, expiresAt: 0 })
    const unknown = await reader.readFunction(id('never registered') as Hex)
    expect(unknown.fn).toEqual({ codeHash: undefined, owner: undefined, locked: false })
  })

  it("reads a request and its policy in two rounds when the job names the request's function, three when not", async () => {
    const counted = await proxy()
    const sent = await f.sendPriceRequest(hexlify(toUtf8Bytes('{"pair":"ETH/USD"}')))
    const reader = readerOf([counted.url], 1)
    const right = await reader.readRequest(hintOf(sent))
    expect(right.policy).toEqual({ threshold: 1, aggregation: 0 })
    // One head, then one batch at the block: the function, the request and the policy together.
    expect(counted.calls()).toMatchObject({ eth_blockNumber: 1, eth_getBlockByNumber: 1 })
    const wrong = await reader.readRequest({ ...hintOf(sent), functionId: id('a wrong guess') as Hex })
    expect(wrong.request.functionId).toBe(sent.functionId)
    expect(wrong.fn.codeHash).toBe(f.codeHash)
    expect(wrong.policy).toEqual({ threshold: 1, aggregation: 0 })
    expect(counted.calls()).toMatchObject({ eth_blockNumber: 2, eth_getBlockByNumber: 3 })
  })

  it('is not fooled by one lying endpoint: no quorum with one honest peer, the honest answer with two', async () => {
    const liar = await proxy()
    const honest = await proxy()
    liar.lie(lieAboutCode)
    const sent = await f.sendPriceRequest()

    const outvoted = readerOf([anvil.rpcUrl, liar.url], 2)
    const error = await rejectionOf(outvoted.readRequest(hintOf(sent)))
    expect(error).toBeInstanceOf(ChainReadError)
    expect(error).toMatchObject({ code: 'RPC_QUORUM_NOT_REACHED', retryable: true })
    expect((error as ChainReadError).details).toContain(otherCode.slice(0, 10))

    const majority = readerOf([anvil.rpcUrl, honest.url, liar.url], 2)
    expect((await majority.readRequest(hintOf(sent))).fn.codeHash).toBe(f.codeHash)

    // Trusting the liar alone (rpcQuorum 1) is exactly what the config refuses unless written out.
    const trusting = readerOf([liar.url], 1)
    expect((await trusting.readRequest(hintOf(sent))).fn.codeHash).toBe(otherCode)
  })

  it('refuses a request the chain does not hold, and a log whose content does not hash to its id', async () => {
    const sent = await f.sendPriceRequest(hexlify(toUtf8Bytes('{"pair":"ETH/USD"}')))
    const reader = readerOf([anvil.rpcUrl], 1)
    const forged = { ...hintOf(sent), requestId: id('a request nobody made') as Hex }
    const missing = await rejectionOf(reader.readRequest(forged))
    expect(missing).toMatchObject({ code: 'REQUEST_NOT_ON_CHAIN', retryable: false })

    // The endpoint hands back the real log with another payload: the id no longer recomputes.
    const liar = await proxy()
    const event = new Interface([
      'event RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address indexed requester, uint64 nonce, uint64 deadline, bytes payload)',
    ])
    liar.lie((call, result) => {
      if (call.method !== 'eth_getLogs' || !Array.isArray(result)) return result
      return result.map((log: { data: string }) => ({
        ...log,
        data: event.encodeEventLog('RequestSent', [
          sent.requestId,
          sent.functionId,
          sent.requester,
          sent.nonce,
          sent.deadline,
          toUtf8Bytes('{"pair":"BTC/USD"}'),
        ]).data,
      }))
    })
    const altered = await rejectionOf(readerOf([liar.url], 1).readRequest(hintOf(sent)))
    expect(altered).toMatchObject({ code: 'REQUEST_NOT_ON_CHAIN' })
  })

  it('waits for the configured confirmations before reading a request', async () => {
    const sent = await f.sendPriceRequest()
    const reader = readerOf([anvil.rpcUrl], 1, 3)
    expect(await rejectionOf(reader.readRequest(hintOf(sent)))).toMatchObject({
      code: 'REQUEST_NOT_CONFIRMED',
      retryable: true,
    })
    await anvil.mine(3)
    const reading = await reader.readRequest(hintOf(sent))
    expect(reading.at.number).toBe(sent.receipt.blockNumber)
    expect(reading.request.requestId).toBe(sent.requestId)
  })

  it('does not count an endpoint of another chain, and a lying head does not move the read block', async () => {
    const sent = await f.sendPriceRequest()
    const wrongChain = readerOf([anvil.rpcUrl, otherChain.rpcUrl], 2)
    const error = await rejectionOf(wrongChain.readRequest(hintOf(sent)))
    expect(error).toMatchObject({ code: 'RPC_QUORUM_NOT_REACHED' })
    expect((error as ChainReadError).details).toContain(`serves chain 0x${(31338).toString(16)}`)

    const liar = await proxy()
    liar.lie((call, result) => (call.method === 'eth_blockNumber' ? '0xffffff' : result))
    const honest = await proxy()
    const reading = await readerOf([liar.url, anvil.rpcUrl, honest.url], 2).readRequest(hintOf(sent))
    expect(reading.at.number).toBe(await f.provider.getBlockNumber())
  })

  it('names endpoints by host only: no path, key or password reaches an error', async () => {
    const sent = await f.sendPriceRequest()
    const secretUrl = `http://user:hunter2@127.0.0.1:${otherChain.port}/v3/sk-live-123`
    const error = (await rejectionOf(
      readerOf([anvil.rpcUrl, secretUrl], 2).readRequest(hintOf(sent)),
    )) as Error
    expect(error.message).toContain(`127.0.0.1:${otherChain.port}`)
    expect(error.message).not.toMatch(/hunter2|sk-live|\/v3/)
  })
})

describe('createEvmChainReader and the consumer', () => {
  it('refuses (final) a request the consumer no longer waits for: answered, or past its deadline', async () => {
    const reader = readerOf([anvil.rpcUrl], 1)
    const answered = await f.sendPriceRequest()
    await (await f.oracle.connect(f.relayer).fulfill(await f.sign({ requestId: answered.requestId }))).wait()
    expect(await rejectionOf(reader.readRequest(hintOf(answered)))).toMatchObject({
      code: 'REQUEST_NOT_PENDING',
      retryable: false,
    })
    const late = await f.sendPriceRequest()
    await f.provider.send('evm_increaseTime', [f.requestTimeout + 1])
    await anvil.mine(1)
    const error = await rejectionOf(reader.readRequest(hintOf(late)))
    expect(error).toMatchObject({ code: 'REQUEST_NOT_PENDING' })
    expect((error as ChainReadError).details).toMatch(/past its deadline/)
  })
})

describe('createEvmChainReader and the consumer list', () => {
  it('refuses (final) a request of a contract that never signed up, however well it imitates one', async () => {
    const reader = readerOf([anvil.rpcUrl], 1)
    const forger = await deployForgedRequestEmitter(f.stranger)
    const receipt = await mined(forger.request(f.functionId, '0x1234'))
    const [sent] = sentRequestsOf(receipt, String(forger.target))
    const error = await rejectionOf(
      reader.readRequest(
        { ...hintOf(sent!), consumer: String(forger.target) },
        { worker: f.worker.address as Hex },
      ),
    )
    expect(error).toMatchObject({ code: 'CONSUMER_NOT_REGISTERED', retryable: false })
    expect((error as Error).message).toContain(String(forger.target))
  })

  it('serves a consumer while it is registered: not after it left, again once it is back', async () => {
    const reader = readerOf([anvil.rpcUrl], 1)
    const consumer = await deployTestConsumer(f.admin, { registry: String(f.registry.target) })
    const receipt = await mined(consumer.request(f.functionId, '0x01'))
    const hint = {
      ...hintOf(sentRequestsOf(receipt, String(consumer.target))[0]!),
      consumer: String(consumer.target),
    }
    expect((await reader.readRequest(hint)).request.consumer).toBe(consumer.target)
    await mined(consumer.leaveRegistry())
    expect(await rejectionOf(reader.readRequest(hint))).toMatchObject({ code: 'CONSUMER_NOT_REGISTERED' })
    await mined(consumer.rejoinRegistry())
    expect((await reader.readRequest(hint)).request.requestId).toBe(hint.requestId)
  })
})
