import { describe, expect, it } from 'vitest'
import { redactHosts } from './redactHosts.js'

describe('redactHosts', () => {
  it('removes URLs, addresses and host:port from failure messages', () => {
    const cases: [string, string][] = [
      [
        'request to http://rpc.internal.corp:8545/v1/key failed, reason: connect ECONNREFUSED 10.0.3.7:8545',
        'request to [host] failed, reason: connect ECONNREFUSED [host]',
      ],
      ['getaddrinfo ENOTFOUND redis-primary.svc.cluster.local', 'getaddrinfo ENOTFOUND [host]'],
      ['connect ECONNREFUSED ::1:6379', 'connect ECONNREFUSED [host]'],
      ['could not reach wss://ws.node.internal/ws (timeout)', 'could not reach [host] (timeout)'],
      ['missing host [fd00::12]:8545 and 192.168.1.20', 'missing host [host] and [host]'],
      ['Redis at redis:6379 is loading', 'Redis at [host] is loading'],
    ]
    for (const [text, redacted] of cases) expect(redactHosts(text)).toBe(redacted)
  })

  it('leaves messages without hosts alone', () => {
    for (const text of [
      'This worker does not serve EVM chain 1.',
      'The RPC endpoints did not agree on function 0x12 at block 7 on EVM chain 31337.',
      'timeoutMs: asked 600000, maximum 60000',
      'at line 3, column 1: Unexpected "}"',
    ]) {
      expect(redactHosts(text)).toBe(text)
    }
  })
})
