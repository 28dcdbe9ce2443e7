import { describe, expect, it } from 'vitest'
import { createNetworkPolicy, formatHostPort } from './createNetworkPolicy.js'
import { InvalidAllowHostError } from './InvalidAllowHostError.js'

describe('createNetworkPolicy', () => {
  it('allows public addresses and denies the others by default', () => {
    const policy = createNetworkPolicy()
    expect(policy.check({ hostname: 'example.com', port: 443, address: '93.184.216.34' })).toEqual({
      allowed: true,
      kind: 'public',
      allowedBy: undefined,
    })
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      'fe80::1',
      '224.0.0.1',
      '100.64.0.1',
      '0.0.0.0',
      '::',
      '::1',
      '::ffff:7f00:1',
      'fd00::1',
      '255.255.255.255',
      '192.0.2.1',
    ]) {
      expect(policy.check({ hostname: 'example.com', port: 80, address }).allowed, address).toBe(false)
    }
  })

  it('explains a denial with host, port, address and kind', () => {
    const policy = createNetworkPolicy()
    expect(policy.check({ hostname: '127.0.0.1', port: 8080, address: '127.0.0.1' })).toEqual({
      allowed: false,
      kind: 'loopback',
      reason: '127.0.0.1:8080 is a loopback address',
      allowHostSuggestion: '127.0.0.1:8080',
    })
    expect(policy.check({ hostname: 'Rebind.Example.', port: 80, address: '169.254.169.254' })).toMatchObject(
      {
        kind: 'metadata',
        reason: 'rebind.example:80 resolves to 169.254.169.254, a cloud metadata address',
        allowHostSuggestion: 'rebind.example:80',
      },
    )
    expect(policy.check({ hostname: '[::ffff:7f00:1]', port: 80, address: '::ffff:7f00:1' })).toMatchObject({
      kind: 'loopback',
      reason: '[::ffff:7f00:1]:80 is a loopback address (embedding 127.0.0.1)',
      allowHostSuggestion: '[::ffff:7f00:1]:80',
    })
    expect(policy.check({ hostname: 'x.example', port: 80, address: 'not-an-ip' })).toMatchObject({
      allowed: false,
      kind: 'invalid',
    })
  })

  it('admits an allowlisted host:port only on that port', () => {
    const policy = createNetworkPolicy({ allowHosts: ['127.0.0.1:8080'] })
    expect(policy.check({ hostname: '127.0.0.1', port: 8080, address: '127.0.0.1' })).toEqual({
      allowed: true,
      kind: 'loopback',
      allowedBy: '127.0.0.1:8080',
    })
    expect(policy.check({ hostname: '127.0.0.1', port: 8081, address: '127.0.0.1' }).allowed).toBe(false)
    expect(policy.check({ hostname: '127.0.0.2', port: 8080, address: '127.0.0.2' }).allowed).toBe(false)
  })

  it('admits an allowlisted host on any port', () => {
    const policy = createNetworkPolicy({ allowHosts: ['10.0.0.7'] })
    expect(policy.check({ hostname: '10.0.0.7', port: 1, address: '10.0.0.7' }).allowed).toBe(true)
    expect(policy.check({ hostname: '10.0.0.7', port: 65535, address: '10.0.0.7' }).allowed).toBe(true)
    expect(policy.check({ hostname: '10.0.0.8', port: 80, address: '10.0.0.8' }).allowed).toBe(false)
  })

  it('matches an IP entry against the resolved address, whatever the URL host', () => {
    const policy = createNetworkPolicy({ allowHosts: ['127.0.0.1:8080'] })
    expect(policy.check({ hostname: 'localhost', port: 8080, address: '127.0.0.1' })).toMatchObject({
      allowed: true,
      allowedBy: '127.0.0.1:8080',
    })
    // localhost may also resolve to ::1, which this entry does not admit.
    expect(policy.check({ hostname: 'localhost', port: 8080, address: '::1' }).allowed).toBe(false)
    // The same endpoint written as IPv4-mapped IPv6.
    expect(policy.check({ hostname: '[::ffff:7f00:1]', port: 8080, address: '::ffff:7f00:1' }).allowed).toBe(
      true,
    )
  })

  it('matches a name entry against the URL host name only, not other names with the same address', () => {
    const policy = createNetworkPolicy({ allowHosts: ['db.internal:5984'] })
    expect(policy.check({ hostname: 'DB.internal.', port: 5984, address: '10.1.2.3' })).toMatchObject({
      allowed: true,
      allowedBy: 'db.internal:5984',
    })
    expect(policy.check({ hostname: 'db.internal', port: 5984, address: '::1' }).allowed).toBe(true)
    expect(policy.check({ hostname: 'other.internal', port: 5984, address: '10.1.2.3' }).allowed).toBe(false)
    expect(policy.check({ hostname: 'db.internal', port: 80, address: '10.1.2.3' }).allowed).toBe(false)
  })

  it('matches IPv6 entries in any spelling', () => {
    const policy = createNetworkPolicy({ allowHosts: ['[0:0::1]:8080', 'fd00::7'] })
    expect(policy.check({ hostname: '[::1]', port: 8080, address: '::1' }).allowed).toBe(true)
    expect(policy.check({ hostname: '::1', port: 8080, address: '0:0:0:0:0:0:0:1' }).allowed).toBe(true)
    expect(policy.check({ hostname: '::1', port: 8081, address: '::1' }).allowed).toBe(false)
    expect(policy.check({ hostname: 'v6.internal', port: 1234, address: 'FD00:0::7' })).toMatchObject({
      allowed: true,
      allowedBy: '[fd00::7]',
    })
  })

  it('throws a clear error for a bad entry', () => {
    expect(() => createNetworkPolicy({ allowHosts: ['ok.example', 'http://bad.example'] })).toThrow(
      InvalidAllowHostError,
    )
  })

  it('exposes the parsed allowlist', () => {
    expect(createNetworkPolicy({ allowHosts: ['Localhost:80'] }).allowHosts).toEqual([
      { host: 'localhost', type: 'name', port: 80 },
    ])
  })
})

describe('formatHostPort', () => {
  it('brackets IPv6 and omits an undefined port', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80')
    expect(formatHostPort('example.com', undefined)).toBe('example.com')
    expect(formatHostPort('127.0.0.1', 8080)).toBe('127.0.0.1:8080')
  })
})
