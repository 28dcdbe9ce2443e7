import { describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { collectFindings } from './collectFindings.js'
import type { SubstrateBlock, SubstrateTrigger, TriggerFinding } from './SubstrateTrigger.js'

const word = (byte: string) => `0x${byte.repeat(32)}` as Hex
const block: SubstrateBlock = {
  chainId: word('45'),
  number: 42,
  hash: word('b4'),
  parentHash: word('b3'),
  extrinsics: [],
  events: [],
}
const feePayer = word('fe')
/** A trigger that finds `findings` in every block (as a chain's own trigger would). */
const finding = (name: string, findings: TriggerFinding[]): SubstrateTrigger => ({
  name,
  scan: () => findings,
})
const request = (requestId: Hex): TriggerFinding => ({
  kind: 'request',
  extrinsicIndex: 1,
  request: {
    trigger: 'substrate',
    chainId: block.chainId,
    destination: word('d4'),
    requestId,
    functionId: word('e1'),
    request: '0x',
  },
})
const resultFrom = (requestId: Hex, sender: Hex): Extract<TriggerFinding, { kind: 'result' }> => ({
  kind: 'result',
  requestId,
  sender,
  extrinsicIndex: 3,
  envelope: {} as Envelope,
})
const result = (requestId: Hex, sender: Hex): TriggerFinding => resultFrom(requestId, sender)

describe('collectFindings', () => {
  it('sorts requests and results of every trigger, and indexes only results from trusted senders', () => {
    const found = collectFindings({
      block,
      triggers: [
        finding('remark', [
          request(word('01')),
          result(word('02'), feePayer),
          result(word('03'), word('aa')),
        ]),
        finding('pallet', [request(word('04'))]),
      ],
      trusted: new Set([feePayer]),
      seenAt: 1234,
    })
    expect(found.requests.map((item) => [item.requestId, item.seenAt])).toEqual([
      [word('01'), 1234],
      [word('04'), 1234],
    ])
    expect(found.delivered).toEqual([
      {
        requestId: word('02'),
        record: { blockHash: block.hash, blockNumber: 42, extrinsicIndex: 3, by: 'watcher' },
      },
    ])
    expect(found).toMatchObject({ results: 2, malformed: 0, unreadable: 0, errors: 0 })
  })

  it("keeps other senders' quorum results aside for judging; their plain results are only counted", () => {
    const quorumFrom = (sender: Hex): TriggerFinding => ({ ...resultFrom(word('05'), sender), envelopes: [] })
    const quorum = quorumFrom(word('aa'))
    const found = collectFindings({
      block,
      triggers: [finding('remark', [quorum, result(word('06'), word('aa')), quorumFrom(feePayer)])],
      trusted: new Set([feePayer]),
      seenAt: 1,
    })
    expect(found.quorumResults).toEqual([
      {
        finding: quorum,
        record: { blockHash: block.hash, blockNumber: 42, extrinsicIndex: 3, by: 'watcher' },
      },
    ])
    // The fee payer's own quorum result is indexed at once, as its plain results are.
    expect(found.delivered.map((item) => item.requestId)).toEqual([word('05')])
    expect(found.results).toBe(3)
  })

  it('counts malformed and unreadable matches, and skips a trigger that throws for this block only', () => {
    const found = collectFindings({
      block,
      triggers: [
        {
          name: 'broken',
          scan: () => {
            throw new Error('bug')
          },
        },
        finding('remark', [
          { kind: 'malformed', extrinsicIndex: 2, eventIndex: 5, reason: 'truncated' },
          { kind: 'unreadable', extrinsicIndex: undefined, eventIndex: 6, reason: 'opaque' },
          request(word('07')),
        ]),
      ],
      trusted: new Set(),
      seenAt: 1,
    })
    expect(found).toMatchObject({ errors: 1, malformed: 1, unreadable: 1, results: 0 })
    expect(found.requests).toHaveLength(1)
  })
})
