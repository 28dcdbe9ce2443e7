import { describe, expect, it } from 'vitest'
import { canonicalJson, type EndpointOutcome, reachQuorum } from './reachQuorum.js'

type Answer = { kind: string; value?: number }
const said = (endpoint: string, answer: Answer): EndpointOutcome<Answer> => ({ endpoint, answer })
const failed = (endpoint: string): EndpointOutcome<Answer> => ({ endpoint, error: 'timeout' })

describe('reachQuorum', () => {
  it('agrees on the answer `quorum` endpoints gave, whatever their key order', () => {
    const result = reachQuorum({
      outcomes: [said('a', { kind: 'found', value: 1 }), said('b', { value: 1, kind: 'found' }), failed('c')],
      quorum: 2,
    })
    expect(result).toEqual({ reached: true, answer: { kind: 'found', value: 1 }, agreeing: ['a', 'b'] })
  })

  it('outvotes a dissenting endpoint when enough others agree', () => {
    const result = reachQuorum({
      outcomes: [
        said('a', { kind: 'found', value: 1 }),
        said('liar', { kind: 'found', value: 2 }),
        said('b', { kind: 'found', value: 1 }),
      ],
      quorum: 2,
    })
    expect(result).toMatchObject({ reached: true, answer: { value: 1 }, agreeing: ['a', 'b'] })
  })

  it('reaches nothing when answers differ, when endpoints fail, or when two answers both reach a low quorum', () => {
    expect(
      reachQuorum({
        outcomes: [said('a', { kind: 'found', value: 1 }), said('b', { kind: 'found', value: 2 })],
        quorum: 2,
      }),
    ).toEqual({ reached: false, reason: 'tooFew', votes: 1 })
    expect(reachQuorum({ outcomes: [failed('a'), failed('b')], quorum: 1 })).toEqual({
      reached: false,
      reason: 'tooFew',
      votes: 0,
    })
    expect(
      reachQuorum({ outcomes: [said('a', { kind: 'found' }), said('b', { kind: 'notFound' })], quorum: 1 }),
    ).toEqual({ reached: false, reason: 'conflict', votes: 1 })
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}')
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }))
  })
})
