import { createServer, type Server, type Socket } from 'node:net'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { ApiPromise, WsProvider } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import type { EventRecord } from '@polkadot/types/interfaces'
import { u8aToHex } from '@polkadot/util'
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ChopsticksChain, startChopsticks } from '../../../test/support/chopsticks.js'
import {
  type LyingSubstrateProxy,
  type ProxiedCall,
  startLyingSubstrateProxy,
} from '../../../test/support/lyingSubstrateProxy.js'
import { bytesToHex, type Hex, hexToBytes, utf8 } from '../../bytes.js'
import { ChainReadError } from '../ChainReadError.js'
import {
  type CreateSubstrateChainReaderParameters,
  createSubstrateChainReader,
  type SubstrateChainReader,
} from './createSubstrateChainReader.js'
import { deriveRequestId } from './deriveRequestId.js'
import { encodeRequestRemark } from './remarkProtocol.js'
import type { SubstrateRequestHint } from './SubstrateRequestReading.js'

const functionId = `0x${'e1'.repeat(32)}` as Hex

let chain: ChopsticksChain
let api: ApiPromise
let alice: KeyringPair
let bob: KeyringPair
let nonce: number
/** Readers and proxies a test opened; closed after it, whatever happened. */
const opened: { close(): Promise<void> }[] = []

beforeAll(async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519' })
  alice = keyring.addFromUri('//Alice')
  bob = keyring.addFromUri('//Bob')
  // Manual: a block is built when the test asks (dev_newBlock), so it knows exactly what each block holds.
  chain = await startChopsticks({ fund: [alice.address], buildBlockMode: 'Manual' })
  api = await ApiPromise.create({ provider: new WsProvider(chain.wsUrl, 1_000), noInitWarn: true })
  nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber()
}, 120_000)

afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()))
})

afterAll(async () => {
  await api?.disconnect()
  await chain?.close()
}, 60_000)

type Included = { blockHash: Hex; blockNumber: number; indices: number[] }

/** Signs (Alice, explicit nonces), submits, and builds one block holding all of `txs`. */
async function include(...txs: SubmittableExtrinsic<'promise'>[]): Promise<Included> {
  for (const tx of txs) {
    await tx.signAsync(alice, { nonce: nonce++ })
    await chain.rpc('author_submitExtrinsic', [tx.toHex()])
  }
  const blockHash = await chain.rpc<Hex>('dev_newBlock', [{ count: 1 }])
  const { block } = await chain.rpc<{ block: { header: { number: string }; extrinsics: string[] } }>(
    'chain_getBlock',
    [blockHash],
  )
  const indices = txs.map((tx) => block.extrinsics.indexOf(tx.toHex()))
  expect(indices.every((index) => index > 0)).toBe(true)
  return { blockHash, blockNumber: Number(block.header.number), indices }
}

const remarkTx = (bytes: Uint8Array) => api.tx.system.remarkWithEvent(u8aToHex(bytes))
const requestBytes = (text: string) => encodeRequestRemark({ functionId, payload: utf8(text) })
const requestTx = (text: string) => remarkTx(requestBytes(text))

/** The v2 id the spec gives a request, computed here from what the test sent (not read from the chain). */
function expectedId(
  extrinsicHash: Hex,
  ordinal: number,
  text: string,
  origin: Hex = u8aToHex(alice.publicKey),
) {
  return deriveRequestId({
    genesisHash: chain.genesisHash,
    extrinsicHash,
    ordinal,
    origin,
    functionId,
    payloadHash: bytesToHex(keccak_256(utf8(text))),
  })
}

function reader(
  parameters: Partial<CreateSubstrateChainReaderParameters> & { wsUrls: string[] },
): SubstrateChainReader {
  const created = createSubstrateChainReader({
    genesisHash: chain.genesisHash,
    quorum: parameters.wsUrls.length,
    heads: 'finalized',
    timeoutMs: 10_000,
    ...parameters,
  })
  opened.push(created)
  return created
}

async function proxy(rewrite: (call: ProxiedCall) => unknown): Promise<LyingSubstrateProxy> {
  const started = await startLyingSubstrateProxy({ upstreamUrl: chain.wsUrl, rewrite })
  opened.push(started)
  return started
}

async function readError(promise: Promise<unknown>): Promise<ChainReadError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  )
  expect(error).toBeInstanceOf(ChainReadError)
  return error as ChainReadError
}

describe('createSubstrateChainReader on chopsticks', () => {
  it('reads a request remark through two endpoints and recomputes its id', async () => {
    const tx = requestTx('ping')
    const { blockHash, blockNumber, indices } = await include(tx)
    const requestId = expectedId(tx.hash.toHex(), 0, 'ping')
    const honest = reader({ wsUrls: [chain.wsUrl, chain.wsUrl], quorum: 2 })

    const reading = await honest.readRequest({ blockHash, extrinsicIndex: indices[0]!, requestId })
    expect(reading).toEqual({
      request: {
        requestId,
        functionId,
        origin: u8aToHex(alice.publicKey),
        payload: bytesToHex(utf8('ping')),
        payloadHash: bytesToHex(keccak_256(utf8('ping'))),
        blockHash,
        blockNumber,
        extrinsicIndex: indices[0],
      },
    })
    // Hex case in the hint does not matter.
    const upper = (hex: Hex) => `0x${hex.slice(2).toUpperCase()}` as Hex
    await expect(
      honest.readRequest({
        blockHash: upper(blockHash),
        extrinsicIndex: indices[0]!,
        requestId: upper(requestId),
      }),
    ).resolves.toEqual(reading)
  }, 60_000)

  it('finds each request of a batch by its position among the extrinsic remarks', async () => {
    const tx = api.tx.utility.batchAll([
      requestTx('first'),
      remarkTx(utf8('not for teefn')),
      requestTx('third'),
    ])
    const { blockHash, indices } = await include(tx)
    const honest = reader({ wsUrls: [chain.wsUrl, chain.wsUrl], heads: 'best' })
    for (const [ordinal, text] of [
      [0, 'first'],
      [2, 'third'],
    ] as const) {
      const requestId = expectedId(tx.hash.toHex(), ordinal, text)
      const { request } = await honest.readRequest({ blockHash, extrinsicIndex: indices[0]!, requestId })
      expect(request).toMatchObject({ requestId, payload: bytesToHex(utf8(text)) })
    }
  }, 60_000)

  it('refuses a hint whose id is not what the chain holds: REQUEST_NOT_ON_CHAIN', async () => {
    const tx = requestTx('real payload')
    const failing = api.tx.utility.batchAll([
      requestTx('in a failed extrinsic'),
      api.tx.balances.transferKeepAlive(bob.address, 10n ** 30n),
    ])
    const { blockHash, indices } = await include(tx, failing)
    const honest = reader({ wsUrls: [chain.wsUrl, chain.wsUrl] })
    const extrinsicIndex = indices[0]!
    // The genuine id reads; then forged ones: another payload, another origin, another ordinal.
    await honest.readRequest({
      blockHash,
      extrinsicIndex,
      requestId: expectedId(tx.hash.toHex(), 0, 'real payload'),
    })
    const forged: SubstrateRequestHint[] = [
      { blockHash, extrinsicIndex, requestId: expectedId(tx.hash.toHex(), 0, 'forged payload') },
      {
        blockHash,
        extrinsicIndex,
        requestId: expectedId(tx.hash.toHex(), 0, 'real payload', u8aToHex(bob.publicKey)),
      },
      { blockHash, extrinsicIndex, requestId: expectedId(tx.hash.toHex(), 1, 'real payload') },
      // The right id, the wrong extrinsic (the timestamp inherent), or one past the block's end.
      { blockHash, extrinsicIndex: 0, requestId: expectedId(tx.hash.toHex(), 0, 'real payload') },
      { blockHash, extrinsicIndex: 99, requestId: expectedId(tx.hash.toHex(), 0, 'real payload') },
    ]
    for (const hint of forged) {
      const error = await readError(honest.readRequest(hint))
      expect(error.code, JSON.stringify(hint)).toBe('REQUEST_NOT_ON_CHAIN')
      expect(error.retryable).toBe(false)
    }

    // A request remark in an extrinsic that failed was never made.
    const events = (await (await api.at(blockHash)).query.system.events()) as unknown as EventRecord[]
    const failed = events.filter(
      ({ phase, event }) =>
        phase.isApplyExtrinsic &&
        phase.asApplyExtrinsic.toNumber() === indices[1] &&
        event.method === 'ExtrinsicFailed',
    )
    expect(failed).toHaveLength(1)
    const error = await readError(
      honest.readRequest({
        blockHash,
        extrinsicIndex: indices[1]!,
        requestId: expectedId(failing.hash.toHex(), 0, 'in a failed extrinsic'),
      }),
    )
    expect(error.code).toBe('REQUEST_NOT_ON_CHAIN')
    expect(error.details).toMatch(/did not succeed/)

    // A hint that is not even well-formed names nothing.
    const malformed = await readError(
      honest.readRequest({ blockHash: '0x12', extrinsicIndex, requestId: blockHash }),
    )
    expect(malformed).toMatchObject({
      code: 'REQUEST_NOT_ON_CHAIN',
      details: 'hint: blockHash is not 32 bytes of 0x-hex',
    })
  }, 60_000)

  describe('with a lying endpoint', () => {
    const realText = 'ping'
    const forgedText = 'pwnd'
    let tx: SubmittableExtrinsic<'promise'>
    let included: Included
    let rawExtrinsic: Hex
    /** Rewrites every answer: the request remark's bytes become the forged ones, and so does its hash in the events. */
    let lie: (call: ProxiedCall) => unknown

    beforeAll(async () => {
      tx = requestTx(realText)
      included = await include(tx)
      rawExtrinsic = tx.toHex()
      const real = requestBytes(realText)
      const forged = requestBytes(forgedText)
      const swaps: [string, string][] = [
        [bytesToHex(real).slice(2), bytesToHex(forged).slice(2)],
        [bytesToHex(blake2AsU8a(real, 256)).slice(2), bytesToHex(blake2AsU8a(forged, 256)).slice(2)],
      ]
      lie = ({ result }) => {
        let text = JSON.stringify(result)
        for (const [from, to] of swaps) text = text.replaceAll(from, to)
        return text === undefined ? result : JSON.parse(text)
      }
    }, 60_000)

    /** The id the liar's chain gives its forged request: over the forged extrinsic bytes and payload. */
    const forgedId = () => {
      const forgedExtrinsic = hexToBytes(
        rawExtrinsic.replace(
          bytesToHex(requestBytes(realText)).slice(2),
          bytesToHex(requestBytes(forgedText)).slice(2),
        ),
      )!
      return expectedId(bytesToHex(blake2AsU8a(forgedExtrinsic, 256)), 0, forgedText)
    }
    const genuineHint = (): SubstrateRequestHint => ({
      blockHash: included.blockHash,
      extrinsicIndex: included.indices[0]!,
      requestId: expectedId(tx.hash.toHex(), 0, realText),
    })
    const forgedHint = (): SubstrateRequestHint => ({ ...genuineHint(), requestId: forgedId() })

    it('tells a coherent lie: trusted alone, it would make the worker run a request nobody sent', async () => {
      const liar = await proxy(lie)
      const { request } = await reader({ wsUrls: [liar.url], quorum: 1 }).readRequest(forgedHint())
      expect(request.payload).toBe(bytesToHex(utf8(forgedText)))
      expect(liar.rewritten()).toBeGreaterThan(0)
    }, 60_000)

    it('quorum 2 of {honest, liar}: RPC_QUORUM_NOT_REACHED, naming endpoints by host only', async () => {
      const liar = await proxy(lie)
      // Credentials and a path in the URL, as a hosted endpoint's API key would be: they must not leak.
      const liarUrl = `${liar.url.replace('ws://', 'ws://operator:s3cret@')}/v1/apikey-123`
      const both = reader({ wsUrls: [chain.wsUrl, liarUrl], quorum: 2 })
      for (const hint of [forgedHint(), genuineHint()]) {
        const error = await readError(both.readRequest(hint))
        expect(error.code).toBe('RPC_QUORUM_NOT_REACHED')
        expect(error.retryable).toBe(true)
        expect(error.details).toContain(`#1 ${new URL(liar.url).host}`)
        expect(error.message).not.toMatch(/s3cret|apikey-123|operator/)
      }
    }, 60_000)

    it('quorum 2 of {honest, honest, liar}: the honest reading, and the forged id is not on chain', async () => {
      const liar = await proxy(lie)
      const three = reader({ wsUrls: [chain.wsUrl, liar.url, chain.wsUrl], quorum: 2 })
      const { request } = await three.readRequest(genuineHint())
      expect(request).toMatchObject({
        requestId: genuineHint().requestId,
        payload: bytesToHex(utf8(realText)),
      })
      const error = await readError(three.readRequest(forgedHint()))
      expect(error.code).toBe('REQUEST_NOT_ON_CHAIN')
      expect(liar.rewritten()).toBeGreaterThan(0)
    }, 60_000)

    it('counts an endpoint of another chain, or one that never answers, as not answering', async () => {
      const otherGenesis = `0x${'77'.repeat(32)}`
      const otherChain = await proxy(({ method, params, result }) =>
        method === 'chain_getBlockHash' && Number(params[0]) === 0 ? otherGenesis : result,
      )
      const silent = await startSilentServer()
      opened.push(silent)
      const hint = genuineHint()
      const error = await readError(
        reader({ wsUrls: [chain.wsUrl, otherChain.url], quorum: 2, timeoutMs: 5_000 }).readRequest(hint),
      )
      expect(error.code).toBe('RPC_QUORUM_NOT_REACHED')
      expect(error.details).toMatch(/#1 [^:]+:\d+: error The endpoint serves another chain/)
      const mixed = reader({
        wsUrls: [chain.wsUrl, otherChain.url, silent.url, chain.wsUrl],
        quorum: 2,
        timeoutMs: 2_000,
      })
      await expect(mixed.readRequest(hint)).resolves.toMatchObject({ request: { requestId: hint.requestId } })
      // Checked once: the wrong chain is not asked again.
      const before = otherChain.rewritten()
      await mixed.readRequest(hint)
      expect(otherChain.rewritten()).toBe(before)
    }, 60_000)
  })

  describe('finality and forks', () => {
    /** chopsticks finalizes every block at once: this endpoint reports genesis as its finalized head, as a node whose finality lags would. */
    const lagging = () =>
      proxy(({ method, result }) => (method === 'chain_getFinalizedHead' ? chain.genesisHash : result))

    it('in finalized mode, a block above the finalized head is REQUEST_NOT_CONFIRMED; in best mode it reads', async () => {
      const tx = requestTx('not final yet')
      const { blockHash, indices } = await include(tx)
      const hint = {
        blockHash,
        extrinsicIndex: indices[0]!,
        requestId: expectedId(tx.hash.toHex(), 0, 'not final yet'),
      }
      const [a, b] = [await lagging(), await lagging()]

      const error = await readError(reader({ wsUrls: [a.url, b.url], heads: 'finalized' }).readRequest(hint))
      expect(error.code).toBe('REQUEST_NOT_CONFIRMED')
      expect(error.retryable).toBe(true)
      expect(error.details).toMatch(/above the finalized head #0/)
      expect(a.rewritten() + b.rewritten()).toBeGreaterThan(0)

      await expect(
        reader({ wsUrls: [a.url, b.url], heads: 'best' }).readRequest(hint),
      ).resolves.toMatchObject({
        request: { requestId: hint.requestId },
      })
      // The honest chopsticks has finalized it already.
      await expect(reader({ wsUrls: [chain.wsUrl, chain.wsUrl] }).readRequest(hint)).resolves.toMatchObject({
        request: { requestId: hint.requestId },
      })
    }, 60_000)

    it('a block that a reorganization took off the best chain is REQUEST_NOT_CONFIRMED until it is back', async () => {
      const tx = requestTx('forked away')
      const { blockHash, blockNumber, indices } = await include(tx)
      const hint = {
        blockHash,
        extrinsicIndex: indices[0]!,
        requestId: expectedId(tx.hash.toHex(), 0, 'forked away'),
      }
      const honest = reader({ wsUrls: [chain.wsUrl, chain.wsUrl], heads: 'best' })
      await honest.readRequest(hint)

      // Another block at the same height: the request's block is no longer canonical.
      await chain.rpc('dev_setHead', [blockNumber - 1])
      const sibling = await chain.rpc<Hex>('dev_newBlock', [{ count: 1 }])
      expect(sibling).not.toBe(blockHash)
      expect(await chain.rpc('chain_getBlockHash', [blockNumber])).toBe(sibling)
      const error = await readError(honest.readRequest(hint))
      expect(error.code).toBe('REQUEST_NOT_CONFIRMED')
      expect(error.details).toMatch(/not on its best chain/)

      await chain.rpc('dev_setHead', [blockHash])
      await expect(honest.readRequest(hint)).resolves.toMatchObject({
        request: { requestId: hint.requestId },
      })
      nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber()
    }, 60_000)
  })

  it('refuses bad parameters at creation', () => {
    const base = { genesisHash: chain.genesisHash, wsUrls: [chain.wsUrl], quorum: 1, heads: 'best' as const }
    expect(() => createSubstrateChainReader({ ...base, quorum: 2 })).toThrow(
      /quorum must be an integer from 1 to 1/,
    )
    expect(() => createSubstrateChainReader({ ...base, wsUrls: ['http://127.0.0.1:1'] })).toThrow(/ws:\/\//)
    expect(() => createSubstrateChainReader({ ...base, genesisHash: '0x12' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CHAIN_READER_PARAMETERS' }),
    )
  })
})

/** A TCP server that accepts connections and never answers: a hung endpoint. */
async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
