import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OnChainResult } from '../../relayer/substrate/readSubstrateResults.js'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { judgeSubstrateQuorumResult } from './judgeSubstrateQuorumResult.js'

const chainId = `0x${'45'.repeat(32)}` as Hex
const requestId = `0x${'0e'.repeat(32)}` as Hex
const functionId = `0x${'11'.repeat(32)}` as Hex
const requester = `0x${'d4'.repeat(32)}` as Hex
const blockHash = `0x${'b0'.repeat(32)}` as Hex
let dir: string
let workers: TeeProvider[]
let keys: Hex[]

const answer = (worker: TeeProvider, text: string) =>
  signEnvelope(worker, {
    family: 'substrate',
    chainId,
    destination: requester,
    requestId,
    functionId,
    payloadHash: `0x${'9a'.repeat(32)}`,
    codeHash: `0x${'0c'.repeat(32)}`,
    status: 'OK',
    result: new TextEncoder().encode(text),
  })

/** A result as `readSubstrateResults` returns it, its request found on the canonical chain. */
const onChain = (envelopes: Envelope[], quorum = true): OnChainResult => ({
  envelope: envelopes[0]!,
  ...(quorum ? { envelopes } : {}),
  reference: { blockHash, extrinsicIndex: 2 },
  request: {
    trigger: 'substrate',
    chainId,
    destination: requester,
    requestId,
    functionId,
    request: '0x',
    blockHash,
    blockNumber: 9,
    canonical: true,
  },
  sender: `0x${'aa'.repeat(32)}`,
})

beforeAll(async () => {
  await cryptoWaitReady()
  dir = await mkdtemp(join(tmpdir(), 'teefn-verify-quorum-'))
  workers = await Promise.all(
    [0, 1, 2, 3].map((index) => createDevProvider({ keyFile: join(dir, `worker-${index}.json`) })),
  )
  keys = workers.map((worker) => worker.publicKeys.sr25519.toLowerCase() as Hex)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('judgeSubstrateQuorumResult', () => {
  it('is valid with k agreeing allowed signers, reporting the dissenter and the request', async () => {
    const set = [
      await answer(workers[0]!, '1'),
      await answer(workers[1]!, '1'),
      await answer(workers[2]!, '2'),
    ]
    const verdict = judgeSubstrateQuorumResult(
      onChain(set),
      chainId,
      { threshold: 2, workers: keys.slice(0, 3) },
      {},
    )
    expect(verdict).toMatchObject({
      valid: true,
      requestId,
      functionId,
      request: { blockHash, blockNumber: 9, extrinsicIndex: 2 },
      quorum: { threshold: 2, envelopes: 3, signers: [keys[0], keys[1]], dissenters: [keys[2]] },
    })
  })

  it('names signers and dissenters when k is not reached', async () => {
    const set = [
      await answer(workers[0]!, '1'),
      await answer(workers[1]!, '1'),
      await answer(workers[2]!, '2'),
    ]
    expect(
      judgeSubstrateQuorumResult(onChain(set), chainId, { threshold: 3, workers: undefined }, {}),
    ).toMatchObject({
      valid: false,
      reason: 'QUORUM_NOT_REACHED',
      quorum: { signers: [keys[0], keys[1]], dissenters: [keys[2]] },
    })
  })

  it('refuses a plain single result under k = 2, and accepts it under k = 1', async () => {
    const single = onChain([await answer(workers[0]!, '1')], false)
    expect(
      judgeSubstrateQuorumResult(single, chainId, { threshold: 2, workers: undefined }, {}),
    ).toMatchObject({
      valid: false,
      reason: 'QUORUM_NOT_REACHED',
    })
    expect(
      judgeSubstrateQuorumResult(single, chainId, { threshold: 1, workers: undefined }, {}),
    ).toMatchObject({
      valid: true,
      quorum: { signers: [keys[0]], dissenters: [] },
    })
  })

  it('refuses duplicates, outsiders and an altered result before counting', async () => {
    const a = await answer(workers[0]!, '1')
    const b = await answer(workers[1]!, '1')
    const allowed = { threshold: 2, workers: keys.slice(0, 3) }
    expect(judgeSubstrateQuorumResult(onChain([a, a, b]), chainId, allowed, {})).toMatchObject({
      reason: 'DUPLICATE_SIGNER',
    })
    const outsider = await answer(workers[3]!, '1')
    expect(judgeSubstrateQuorumResult(onChain([a, outsider]), chainId, allowed, {})).toMatchObject({
      reason: 'SIGNER_NOT_ALLOWED',
      details: keys[3],
    })
    const altered = { ...b, result: '0x32' as Hex }
    expect(judgeSubstrateQuorumResult(onChain([a, altered]), chainId, allowed, {})).toMatchObject({
      reason: 'ENVELOPE_INVALID',
    })
  })

  it('judges the agreed answer against the request and the expectations', async () => {
    const set = [await answer(workers[0]!, '1'), await answer(workers[1]!, '1')]
    const quorum = { threshold: 2, workers: undefined }
    const elsewhere = { ...onChain(set), request: undefined }
    expect(judgeSubstrateQuorumResult(elsewhere, chainId, quorum, {})).toMatchObject({
      valid: false,
      reason: 'REQUEST_NOT_FOUND',
      quorum: { signers: [keys[0], keys[1]] },
    })
    expect(
      judgeSubstrateQuorumResult(onChain(set), chainId, quorum, { functionId: `0x${'12'.repeat(32)}` }),
    ).toMatchObject({ valid: false, reason: 'WRONG_FUNCTION' })
  })
})
