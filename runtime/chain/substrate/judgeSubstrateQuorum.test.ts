import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../bytes.js'
import { createDevProvider } from '../../enclave/devProvider.js'
import type { Envelope } from '../../enclave/envelope.js'
import { signEnvelope } from '../../enclave/signEnvelope.js'
import type { TeeProvider } from '../../enclave/TeeProvider.js'
import { judgeSubstrateQuorum, tallySubstrateAnswers } from './judgeSubstrateQuorum.js'

const chainId = `0x${'45'.repeat(32)}`
let dir: string
let workers: TeeProvider[]
let keys: Hex[]

const answer = (worker: TeeProvider, text: string, requestId: Hex = `0x${'0e'.repeat(32)}`) =>
  signEnvelope(worker, {
    family: 'substrate',
    chainId,
    destination: `0x${'d4'.repeat(32)}`,
    requestId,
    functionId: `0x${'11'.repeat(32)}`,
    payloadHash: `0x${'9a'.repeat(32)}`,
    codeHash: `0x${'0c'.repeat(32)}`,
    status: 'OK',
    result: new TextEncoder().encode(text),
  })

beforeAll(async () => {
  await cryptoWaitReady()
  dir = await mkdtemp(join(tmpdir(), 'teefn-judge-'))
  workers = await Promise.all(
    [0, 1, 2, 3].map((index) => createDevProvider({ keyFile: join(dir, `worker-${index}.json`) })),
  )
  keys = workers.map((worker) => worker.publicKeys.sr25519.toLowerCase() as Hex)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const judge = (envelopes: Envelope[], threshold: number, allowed: Hex[] | undefined = keys) =>
  judgeSubstrateQuorum({ envelopes, threshold, chainId, workers: allowed })

describe('judgeSubstrateQuorum', () => {
  it('reaches k with agreeing signers and names the dissenter', async () => {
    const set = [
      await answer(workers[0]!, '3001'),
      await answer(workers[1]!, '9999'),
      await answer(workers[2]!, '3001'),
    ]
    expect(judge(set, 2)).toEqual({
      reached: true,
      answer: set[0],
      signers: [keys[0], keys[2]],
      dissenters: [keys[1]],
    })
    expect(judge(set, 3)).toMatchObject({
      reached: false,
      reason: 'QUORUM_NOT_REACHED',
      signers: [keys[0], keys[2]],
      dissenters: [keys[1]],
    })
  })

  it('does not reach a quorum on a tie, nor on one envelope when k is 2', async () => {
    const tie = [
      await answer(workers[0]!, 'a'),
      await answer(workers[1]!, 'a'),
      await answer(workers[2]!, 'b'),
      await answer(workers[3]!, 'b'),
    ]
    expect(judge(tie, 2)).toMatchObject({
      reached: false,
      reason: 'QUORUM_NOT_REACHED',
      details: /two answers/,
    })
    expect(judge([tie[0]!], 2)).toMatchObject({ reached: false, reason: 'QUORUM_NOT_REACHED' })
    expect(judge([tie[0]!], 1)).toMatchObject({ reached: true, signers: [keys[0]] })
  })

  it('refuses the same signer twice, even with otherwise enough agreeing envelopes', async () => {
    const one = await answer(workers[0]!, '3001')
    const set = [one, await answer(workers[1]!, '3001'), one]
    expect(judge(set, 2)).toMatchObject({ reached: false, reason: 'DUPLICATE_SIGNER', details: keys[0] })
  })

  it('refuses a signer outside the allowed set; without a set any valid key counts', async () => {
    const set = [await answer(workers[0]!, '3001'), await answer(workers[3]!, '3001')]
    expect(judge(set, 2, keys.slice(0, 3))).toMatchObject({
      reached: false,
      reason: 'SIGNER_NOT_ALLOWED',
      details: keys[3],
    })
    expect(judge(set, 2, undefined)).toMatchObject({ reached: true })
  })

  it('refuses an altered result, another chain and mixed requests', async () => {
    const good = [await answer(workers[0]!, '3001'), await answer(workers[1]!, '3001')]
    const altered = { ...good[1]!, result: '0x39393939' as Hex }
    expect(judge([good[0]!, altered], 2)).toMatchObject({
      reached: false,
      reason: 'ENVELOPE_INVALID',
      details: expect.stringMatching(/^RESULT_ALTERED/),
    })
    expect(
      judgeSubstrateQuorum({ envelopes: good, threshold: 2, chainId: `0x${'46'.repeat(32)}` }),
    ).toMatchObject({
      reason: 'ENVELOPE_INVALID',
      details: expect.stringMatching(/^WRONG_CHAIN/),
    })
    const mixed = [good[0]!, await answer(workers[1]!, '3001', `0x${'77'.repeat(32)}`)]
    expect(judge(mixed, 2)).toMatchObject({ reached: false, reason: 'MIXED_REQUESTS' })
  })
})

describe('tallySubstrateAnswers', () => {
  it('groups by every signed field but the worker', async () => {
    const a = await answer(workers[0]!, 'x')
    const b = { ...(await answer(workers[1]!, 'x')), codeHash: `0x${'0d'.repeat(32)}` as Hex }
    expect(tallySubstrateAnswers([a, b], 2)).toEqual({ reached: false, tie: true, agreeing: [0] })
    expect(tallySubstrateAnswers([a, await answer(workers[2]!, 'x')], 2)).toEqual({
      reached: true,
      tie: false,
      agreeing: [0, 1],
    })
  })
})
