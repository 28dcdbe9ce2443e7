import { describe, expect, it } from 'vitest'
import { agreeOnAnswers, canonicalJson } from './agreeOnAnswers.js'
import { ChainReadError } from './ChainReadError.js'

const describeValue = (value: { hash: string }) => value.hash
const ok = (endpoint: string, hash: string, extra: Record<string, unknown> = {}) => ({
  endpoint,
  ok: true as const,
  value: { hash, ...extra },
})
const failed = (endpoint: string) => ({ endpoint, ok: false as const, error: 'rpc_unreachable' })

describe('agreeOnAnswers', () => {
  it('returns the value a quorum gave, naming who agreed and who did not', () => {
    const result = agreeOnAnswers({
      answers: [ok('a', '0x1'), ok('b', '0x2'), ok('c', '0x1')],
      quorum: 2,
      what: 'block 7',
      describe: describeValue,
    })
    expect(result).toEqual({ value: { hash: '0x1' }, agreeing: ['a', 'c'], dissenting: ['b'] })
  })

  it('compares values whatever their key order', () => {
    const answers = [
      { endpoint: 'a', ok: true as const, value: { hash: '0x1', n: 1 } },
      { endpoint: 'b', ok: true as const, value: { n: 1, hash: '0x1' } },
    ]
    expect(agreeOnAnswers({ answers, quorum: 2, what: 'x', describe: describeValue }).agreeing).toEqual([
      'a',
      'b',
    ])
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}')
  })

  it('refuses (retryably) when too few endpoints give the same value, saying what each said', () => {
    const error = (() => {
      try {
        agreeOnAnswers({
          answers: [ok('a', '0x1'), ok('b', '0x2'), failed('c')],
          quorum: 2,
          what: 'block 7',
          describe: describeValue,
        })
      } catch (caught) {
        return caught
      }
    })() as ChainReadError
    expect(error).toBeInstanceOf(ChainReadError)
    expect(error.code).toBe('RPC_QUORUM_NOT_REACHED')
    expect(error.retryable).toBe(true)
    expect(error.details).toContain('a: 0x1; b: 0x2; c: rpc_unreachable')
  })

  it('never lets a minority win because the others failed', () => {
    expect(() =>
      agreeOnAnswers({
        answers: [ok('liar', '0x9'), failed('b'), failed('c')],
        quorum: 2,
        what: 'x',
        describe: describeValue,
      }),
    ).toThrow(ChainReadError)
  })
})
