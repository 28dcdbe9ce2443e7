import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectSubstrate, type SubstrateConnection } from '../relayer/substrate/connectSubstrate.js'
import { createRemarkTrigger } from '../relayer/substrate/createRemarkTrigger.js'
import { readBlock } from '../relayer/substrate/readBlock.js'
import { submitAndWatch } from '../relayer/substrate/submitAndWatch.js'
import { bytesToHex, type Hex, hexToBytes } from '../runtime/bytes.js'
import {
  encodeQuorumResultRemark,
  encodeRequestRemark,
  encodeResultRemark,
} from '../runtime/chain/substrate/remarkProtocol.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import type { Envelope } from '../runtime/enclave/envelope.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import { type ChopsticksChain, startChopsticks } from './support/chopsticks.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { type SubstrateQuorumNode, startSubstrateQuorumNodes } from './support/startSubstrateQuorumNodes.js'

// Substrate result quorums between three `teefn node` processes on one chopsticks chain (docs/protocol.md,
// "6.x Substrate"): each node has its own redis-server, dev worker key and fee payer; k = 2; each lists the others'
// worker keys. Node C may not fetch from 127.0.0.1, so it answers the price function otherwise: the lying node.

const echoId = `0x${'e2'.repeat(32)}` as Hex
const priceId = `0x${'a7'.repeat(32)}` as Hex
const failoverDelayMs = 2_000
const settleMs = 1_500
let chain: ChopsticksChain
let substrate: SubstrateConnection
let api: ApiPromise
let prices: StartHttpServerReturnType
let quorum: { nodes: SubstrateQuorumNode[]; close(): Promise<void> }
let workers: Hex[]
let alice: KeyringPair
let dir: string

beforeAll(async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519' })
  alice = keyring.addFromUri('//Alice')
  const feePayers = ['//Bob', '//Charlie', '//Dave']
  chain = await startChopsticks({
    fund: [alice.address, ...feePayers.map((uri) => keyring.addFromUri(uri).address)],
  })
  prices = await startHttpServer((_request, response) => response.end('3001'))
  quorum = await startSubstrateQuorumNodes({
    wsUrl: chain.wsUrl,
    feePayers,
    functions: {
      [echoId]: "export default function main(request) { return 'echo ' + request }",
      [priceId]: `export default async function main() {
  try { return (await (await fetch('${prices.url}/price')).text()).trim() } catch { return 'no price' }
}`,
    },
    threshold: 2,
    cutOff: [2],
    failoverDelayMs,
    settleMs,
  })
  workers = quorum.nodes.map((node) => node.worker.toLowerCase() as Hex)
  substrate = await connectSubstrate({ url: chain.wsUrl })
  api = substrate.api
  dir = await mkdtemp(join(tmpdir(), 'teefn-substrate-quorum-test-'))
}, 180_000)

afterAll(async () => {
  await quorum?.close()
  await substrate?.close()
  await prices?.close()
  await chain?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 60_000)

/** Signs with the runtime's nonce and resolves once in a block. */
async function send(tx: SubmittableExtrinsic<'promise'>) {
  await tx.signAsync(alice, { nonce: -1 })
  const included = await submitAndWatch(api, tx, { timeoutMs: 60_000 })
  if (included.failed) throw new Error(`extrinsic failed: ${included.failed}`)
  const number = (await api.rpc.chain.getHeader(included.blockHash)).number.toNumber()
  return { blockHash: included.blockHash, blockNumber: number, index: included.index }
}

const remark = (bytes: Uint8Array) => api.tx.system.remarkWithEvent(u8aToHex(bytes))

/** Sends a request remark and finds its requestId as the chain has it. */
async function request(functionId: Hex, text: string) {
  const sent = await send(
    remark(encodeRequestRemark({ functionId, payload: new TextEncoder().encode(text) })),
  )
  const block = await readBlock(api, sent.blockHash, chain.genesisHash)
  const found = createRemarkTrigger()
    .scan(block)
    .find((finding) => finding.kind === 'request' && finding.extrinsicIndex === sent.index)
  if (found?.kind !== 'request') throw new Error('the request is not on chain')
  return { ...sent, requestId: found.request.requestId }
}

type ResultOnChain = { blockHash: Hex; extrinsicIndex: number; envelopes: Envelope[] }

/** Every result remark for `requestId` in blocks `from..head`, read from the chain (not from any node's Redis). */
async function resultsOnChain(requestId: Hex, from: number): Promise<ResultOnChain[]> {
  const trigger = createRemarkTrigger()
  const head = (await api.rpc.chain.getHeader()).number.toNumber()
  const found: ResultOnChain[] = []
  for (let number = from; number <= head; number++) {
    const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
    for (const finding of trigger.scan(await readBlock(api, hash, chain.genesisHash))) {
      if (finding.kind !== 'result' || finding.requestId !== requestId) continue
      const envelopes = finding.envelopes ?? [finding.envelope]
      found.push({ blockHash: hash, extrinsicIndex: finding.extrinsicIndex, envelopes })
    }
  }
  return found
}

async function firstResult(requestId: Hex, from: number, timeoutMs = 45_000): Promise<ResultOnChain> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [result] = await resultsOnChain(requestId, from)
    if (result) return result
    if (Date.now() > deadline) throw new Error(`no result for ${requestId} in ${timeoutMs} ms`)
    await sleep(250)
  }
}

const workerArgs = () => workers.flatMap((worker) => ['--worker', worker])
const verify = (at: { blockHash: Hex; extrinsicIndex: number }, ...more: string[]) =>
  runTeefn(
    [
      'verify',
      '--substrate',
      chain.wsUrl,
      '--block',
      at.blockHash,
      '--extrinsic',
      String(at.extrinsicIndex),
      ...more,
    ],
    { timeoutMs: 60_000 },
  )

/** The honest quorum's envelopes, for the attack tests. */
let honest: { request: Awaited<ReturnType<typeof request>>; result: ResultOnChain }

describe('Substrate result quorums between three teefn node processes', () => {
  it('puts exactly one quorum result on chain, verified with --quorum 2 against the three workers', async () => {
    const sent = await request(echoId, 'ping')
    const result = await firstResult(sent.requestId, sent.blockNumber)
    expect(result.envelopes.length).toBeGreaterThanOrEqual(2)
    honest = { request: sent, result }
    // Every node's turn comes and goes: still one result remark.
    await sleep(2 * failoverDelayMs + settleMs + 2_000)
    expect(await resultsOnChain(sent.requestId, sent.blockNumber)).toHaveLength(1)

    const json = await verify(result, '--quorum', '2', ...workerArgs(), '--json')
    expect(json.status, json.stdout + json.stderr).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report.results).toHaveLength(1)
    const [verdict] = report.results
    expect(verdict).toMatchObject({
      valid: true,
      requestId: sent.requestId,
      functionId: echoId,
      status: 'OK',
    })
    expect(verdict.quorum.signers.length).toBeGreaterThanOrEqual(2)
    for (const signer of verdict.quorum.signers) expect(workers).toContain(signer)
    expect(verdict.quorum.dissenters).toEqual([])
    expect(verdict.request).toMatchObject({ blockHash: sent.blockHash, extrinsicIndex: sent.index })
    const text = await verify(result, '--quorum', '2', ...workerArgs())
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/valid: substrate quorum result, [23] of [23] workers agree \(k = 2\)/)
    expect(new TextDecoder().decode(hexToBytes(result.envelopes[0]!.result))).toBe(
      `echo ${bytesToHex(new TextEncoder().encode('ping'))}`,
    )
  }, 120_000)

  it('outvotes the lying node and names it: valid under k = 2, QUORUM_NOT_REACHED under k = 3', async () => {
    const sent = await request(priceId, 'BTC')
    const result = await firstResult(sent.requestId, sent.blockNumber)
    const liar = workers[2]!
    const k2 = await verify(result, '--quorum', '2', ...workerArgs(), '--json')
    expect(k2.status, k2.stdout + k2.stderr).toBe(0)
    const agreed = JSON.parse(k2.stdout).results[0]
    expect(new TextDecoder().decode(hexToBytes(result.envelopes[0]!.result))).toBe('3001')
    expect([...agreed.quorum.signers].sort()).toEqual([workers[0], workers[1]].sort())
    // C's answer reached the submitter before it sent (it waits for every member up to settleMs).
    expect(agreed.quorum.dissenters).toEqual([liar])

    const k3 = await verify(result, '--quorum', '3', ...workerArgs(), '--json')
    expect(k3.status).toBe(1)
    expect(JSON.parse(k3.stdout).results[0]).toMatchObject({
      valid: false,
      reason: 'QUORUM_NOT_REACHED',
      quorum: { dissenters: [liar] },
    })
    const text = await verify(result, '--quorum', '3', ...workerArgs())
    expect(text.status).toBe(1)
    expect(text.stdout).toContain('invalid: QUORUM_NOT_REACHED')
    expect(text.stdout).toContain(`dissenters: ${liar}`)
    await sleep(2 * failoverDelayMs + settleMs)
    expect(await resultsOnChain(sent.requestId, sent.blockNumber)).toHaveLength(1)
  }, 120_000)

  it('refuses hand-built results: a signer twice, a signer outside --worker, an altered result, one envelope under k = 2', async () => {
    const { request: sent, result } = honest
    const [a, b] = result.envelopes as [Envelope, Envelope]
    const stranger = await createDevProvider({ keyFile: join(dir, 'stranger.json') })
    const outsider = await signEnvelope(stranger, {
      ...a,
      family: 'substrate',
      result: hexToBytes(a.result)!,
    })
    const reference = { blockHash: sent.blockHash, extrinsicIndex: sent.index }
    const quorumRemark = (envelopes: Envelope[]) =>
      remark(encodeQuorumResultRemark({ request: reference, envelopes }))
    const forged = await send(
      api.tx.utility.batch([
        quorumRemark([a, a]),
        quorumRemark([a, outsider]),
        quorumRemark([a, { ...b, result: '0x39393939' }]),
        remark(encodeResultRemark({ request: reference, envelope: a })),
      ]),
    )
    const run = await verify(
      { blockHash: forged.blockHash, extrinsicIndex: forged.index },
      '--quorum',
      '2',
      ...workerArgs(),
      '--json',
    )
    expect(run.status).toBe(1)
    const verdicts = JSON.parse(run.stdout).results
    expect(verdicts.map((verdict: { reason: string }) => verdict.reason)).toEqual([
      'DUPLICATE_SIGNER',
      'SIGNER_NOT_ALLOWED',
      'ENVELOPE_INVALID',
      'QUORUM_NOT_REACHED',
    ])
    expect(verdicts[1].details).toBe(stranger.publicKeys.sr25519.toLowerCase())
    expect(verdicts[2].details).toMatch(/^RESULT_ALTERED/)
    // Without one of its signers' keys in --worker, the honest quorum is refused.
    const signer = result.envelopes[0]!.worker.toLowerCase()
    const others = workers.filter((worker) => worker !== signer).flatMap((worker) => ['--worker', worker])
    const narrowed = await verify(result, '--quorum', '2', ...others, '--json')
    expect(narrowed.status).toBe(1)
    expect(JSON.parse(narrowed.stdout).results[0].reason).toBe('SIGNER_NOT_ALLOWED')
  }, 120_000)
})
