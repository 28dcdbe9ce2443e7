import { describe, expect, it } from 'vitest'
import { agreeOnAnswers } from './agreeOnAnswers.js'
import { ChainReadError } from './ChainReadError.js'

const answer = (endpoint: string, hash: string) => ({ endpoint, answer: { hash } })
const failed = (endpoint: string) => ({ endpoint, error: 'rpc_unreachable' })
const describeAnswer = (value: { hash: string }) => value.hash

describe('agreeOnAnswers', () => {
  it('returns the answer a quorum gave', () => {
    const outcomes = [answer('a', '0x1'), answer('b', '0x2'), answer('c', '0x1')]
    expect(agreeOnAnswers({ outcomes, quorum: 2, what: 'block 7', describe: describeAnswer })).toEqual({
      hash: '0x1',
    })
  })

  it('refuses (retryably) when too few agree, saying what each endpoint said; a minority never wins', () => {
    for (const outcomes of [
      [answer('a', '0x1'), answer('b', '0x2'), failed('c')],
      [answer('liar', '0x9'), failed('b'), failed('c')],
    ]) {
      let error: unknown
      try {
        agreeOnAnswers({ outcomes, quorum: 2, what: 'block 7', describe: describeAnswer })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ChainReadError)
      expect(error).toMatchObject({ code: 'RPC_QUORUM_NOT_REACHED', retryable: true })
      expect((error as ChainReadError).details).toContain(
        outcomes
          .map((o) => o.endpoint)
          .join(': ')
          .slice(0, 1),
      )
      expect((error as ChainReadError).details).toContain('rpc_unreachable')
    }
  })
})
