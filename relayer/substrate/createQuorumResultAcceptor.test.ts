import type { ApiPromise } from '@polkadot/api'
import type { KeyringPair } from '@polkadot/keyring/types'
import { u8aToHex } from '@polkadot/util'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Hex, utf8 } from '../../runtime/bytes.js'
import { encodeRequestRemark } from '../../runtime/chain/substrate/remarkProtocol.js'
import { type Envelope, payloadHashOf, resultHashOf } from '../../runtime/enclave/envelope.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import type { ChopsticksChain } from '../../test/support/chopsticks.js'
import { useDevWorkers } from '../../test/support/devWorkers.js'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import type { ResultFinding } from './collectFindings.js'
import { createQuorumResultAcceptor } from './createQuorumResultAcceptor.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import { readBlock } from './readBlock.js'
import { submitAndWatch } from './submitAndWatch.js'

const functionId = `0x${'f1'.repeat(32)}` as Hex
const codeHash = `0x${'0c'.repeat(32)}` as Hex
let api: ApiPromise
let alice: KeyringPair
let genesisHash: Hex
let chopsticks: ChopsticksChain
const workers = useDevWorkers('a', 'b', 'c', 'stranger')
useSubstrateChain({}, (chain) => {
  ;({ api, alice } = chain)
  genesisHash = chain.chain.genesisHash
  chopsticks = chain.chain
})

type OnChainRequest = {
  requestId: Hex
  destination: Hex
  reference: { blockHash: Hex; extrinsicIndex: number }
}
let ping: OnChainRequest
let other: OnChainRequest
let again: OnChainRequest

/** Alice's request remark, as the chain has it. */
async function request(payload: string): Promise<OnChainRequest> {
  const tx = api.tx.system.remarkWithEvent(
    u8aToHex(encodeRequestRemark({ functionId, payload: utf8(payload) })),
  )
  await tx.signAsync(alice, { nonce: -1 })
  const included = await submitAndWatch(api, tx, { timeoutMs: 60_000 })
  const found = createRemarkTrigger()
    .scan(await readBlock(api, included.blockHash, genesisHash))
    .find((finding) => finding.kind === 'request' && finding.extrinsicIndex === included.index)
  if (found?.kind !== 'request') throw new Error('the request is not on chain')
  const { requestId, destination } = found.request
  return {
    requestId,
    destination,
    reference: { blockHash: included.blockHash, extrinsicIndex: included.index },
  }
}

/** `worker`'s answer to `to` (function `functionId`, payload `ping`, result `pong` unless told otherwise). */
const answer = (
  worker: TeeProvider,
  to: OnChainRequest,
  { result = 'pong', payload = 'ping', chainId = genesisHash as string, answering = functionId } = {},
) =>
  signEnvelope(worker, {
    family: 'substrate',
    chainId,
    destination: to.destination,
    requestId: to.requestId,
    functionId: answering,
    payloadHash: payloadHashOf(utf8(payload)),
    codeHash,
    status: 'OK',
    result: utf8(result),
  })

/** A quorum result remark's finding, from any sender. */
const finding = (envelopes: Envelope[], to: OnChainRequest, reference = to.reference): ResultFinding => ({
  kind: 'result',
  requestId: to.requestId,
  sender: u8aToHex(alice.publicKey) as Hex,
  extrinsicIndex: 1,
  envelope: envelopes[0]!,
  envelopes,
  reference,
})

beforeAll(async () => {
  ping = await request('ping')
  other = await request('pong')
  again = await request('ping')
}, 60_000)

describe('createQuorumResultAcceptor', () => {
  const accepts = () =>
    createQuorumResultAcceptor({
      api,
      chainId: genesisHash,
      threshold: 2,
      workers: [workers.a, workers.b, workers.c].map((worker) => worker.publicKeys.sr25519),
    })

  it('accepts k agreeing pinned workers answering the request at the extrinsic they name, whoever sent it', async () => {
    const accept = accepts()
    const [a, b, c] = await Promise.all(
      [workers.a, workers.b, workers.c].map((worker) => answer(worker, ping)),
    )
    expect(await accept(finding([a!, b!], ping))).toBe(true)
    // A dissenter after the agreeing ones does not spoil it.
    const dissent = await answer(workers.c, ping, { result: 'pang' })
    expect(await accept(finding([a!, b!, dissent], ping))).toBe(true)
    expect(await accept(finding([c!, a!, b!], ping))).toBe(true)
  })

  it('refuses a tampered set: an altered result, a signer twice, a stranger, fewer than k, no quorum at all', async () => {
    const accept = accepts()
    const [a, b] = await Promise.all([answer(workers.a, ping), answer(workers.b, ping)])
    const stranger = await answer(workers.stranger, ping)
    // Both answers changed alike, hash included: they still agree, so only the signatures refuse them.
    const altered = (envelope: Envelope) => ({
      ...envelope,
      result: u8aToHex(utf8('p0ng')) as Hex,
      resultHash: u8aToHex(resultHashOf(utf8('p0ng'))) as Hex,
    })
    expect(await accept(finding([altered(a), altered(b)], ping))).toBe(false)
    expect(await accept(finding([a, a], ping))).toBe(false)
    expect(await accept(finding([a, stranger], ping))).toBe(false)
    expect(await accept(finding([a], ping))).toBe(false)
    // Two answers with one signer each: a tie, not a quorum.
    expect(await accept(finding([a, await answer(workers.b, ping, { result: 'pang' })], ping))).toBe(false)
    // A single-envelope result, or one that names no request extrinsic.
    expect(await accept({ ...finding([a, b], ping), envelopes: undefined })).toBe(false)
    expect(await accept({ ...finding([a, b], ping), reference: undefined })).toBe(false)
  })

  it('refuses a valid quorum copied onto another request, or answering another chain, payload or requester', async () => {
    const accept = accepts()
    const [a, b] = await Promise.all([answer(workers.a, ping), answer(workers.b, ping)])
    // Pointed at the other request's extrinsic: no request there has this requestId.
    expect(await accept(finding([a, b], ping, other.reference))).toBe(false)
    // Named as the answer to the same question asked again (same requester, function and payload): the envelopes
    // still answer the first request, not this one.
    expect(await accept({ ...finding([a, b], ping, again.reference), requestId: again.requestId })).toBe(
      false,
    )
    expect(
      await accept(finding(await Promise.all([workers.a, workers.b].map((w) => answer(w, again))), again)),
    ).toBe(true)
    // Pointed at a block the chain does not have.
    expect(
      await accept(finding([a, b], ping, { blockHash: `0x${'77'.repeat(32)}`, extrinsicIndex: 1 })),
    ).toBe(false)
    // Signed for the right request id but another payload than the one on-chain.
    const wrongPayload = await Promise.all(
      [workers.a, workers.b].map((w) => answer(w, ping, { payload: 'pong' })),
    )
    expect(await accept(finding(wrongPayload, ping))).toBe(false)
    // Signed for another function.
    const answering = `0x${'f2'.repeat(32)}` as Hex
    const wrongFunction = await Promise.all([workers.a, workers.b].map((w) => answer(w, ping, { answering })))
    expect(await accept(finding(wrongFunction, ping))).toBe(false)
    // Signed for another requester (destination) of the same request id.
    const elsewhere = { ...ping, destination: `0x${'d4'.repeat(32)}` as Hex }
    const wrongRequester = await Promise.all([workers.a, workers.b].map((w) => answer(w, elsewhere)))
    expect(await accept(finding(wrongRequester, ping))).toBe(false)
    // Signed for another chain.
    const otherChain = `0x${'99'.repeat(32)}`
    const wrongChain = await Promise.all(
      [workers.a, workers.b].map((w) => answer(w, ping, { chainId: otherChain })),
    )
    expect(await accept(finding(wrongChain, ping))).toBe(false)
  })

  // Last: it moves the chain's head back.
  it('refuses a quorum for a request whose block a reorg dropped', async () => {
    const accept = accepts()
    const dropped = await request('dropped')
    const quorum = await Promise.all(
      [workers.a, workers.b].map((w) => answer(w, dropped, { payload: 'dropped' })),
    )
    expect(await accept(finding(quorum, dropped))).toBe(true)
    const { number } = await api.rpc.chain.getHeader(dropped.reference.blockHash)
    await chopsticks.rpc('dev_setHead', [number.toNumber() - 1])
    await chopsticks.rpc('dev_newBlock', [{}])
    expect((await api.rpc.chain.getBlockHash(number.toNumber())).toHex()).not.toBe(
      dropped.reference.blockHash,
    )
    expect(await accept(finding(quorum, dropped))).toBe(false)
  })
})
