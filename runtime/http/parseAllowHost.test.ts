import { describe, expect, it } from 'vitest'
import { InvalidAllowHostError } from './InvalidAllowHostError.js'
import { parseAllowHost } from './parseAllowHost.js'

describe('parseAllowHost', () => {
  it.each([
    ['localhost', { host: 'localhost', type: 'name', port: undefined }],
    ['localhost:8080', { host: 'localhost', type: 'name', port: 8080 }],
    ['API.Internal.Example.', { host: 'api.internal.example', type: 'name', port: undefined }],
    ['bücher.example:443', { host: 'xn--bcher-kva.example', type: 'name', port: 443 }],
    ['my_service.internal', { host: 'my_service.internal', type: 'name', port: undefined }],
    ['127.0.0.1', { host: '127.0.0.1', type: 'ip', port: undefined }],
    ['10.0.0.7:80', { host: '10.0.0.7', type: 'ip', port: 80 }],
    ['[::1]:8080', { host: '::1', type: 'ip', port: 8080 }],
    ['[::1]', { host: '::1', type: 'ip', port: undefined }],
    ['::1', { host: '::1', type: 'ip', port: undefined }],
    ['[FD00:0:0:0:0:0:0:1]:65535', { host: 'fd00::1', type: 'ip', port: 65535 }],
    ['[::ffff:127.0.0.1]:1', { host: '::ffff:7f00:1', type: 'ip', port: 1 }],
  ])('parses %s', (entry, expected) => {
    expect(parseAllowHost(entry)).toEqual(expected)
  })

  it.each([
    ['', /empty/],
    ['http://localhost:8080', /without scheme/],
    ['localhost/path', /without scheme/],
    ['user@localhost', /without scheme/],
    ['*.example.com', /wildcard/],
    [' localhost', /without scheme/],
    ['localhost:', /port "" is not 1-65535/],
    ['localhost:0', /port "0" is not 1-65535/],
    ['localhost:65536', /port "65536" is not 1-65535/],
    ['localhost:80a', /port "80a" is not 1-65535/],
    ['localhost:-1', /port "-1" is not 1-65535/],
    ['::1:8080:', /IPv6 address with a port as \[address\]:port/],
    ['[::1]8080', /unbalanced brackets|not an IPv6/],
    ['[localhost]:80', /not an IPv6 address in brackets/],
    ['[::1', /unbalanced brackets/],
    ['127.1', /write the IPv4 address as 127.0.0.1/],
    ['0x7f.0.0.1:80', /write the IPv4 address as 127.0.0.1/],
    ['-bad-.example', /not a valid host name/],
    ['a..b', /not a valid host name/],
    ['exa%6dple.com', /without scheme/],
    [`${'a'.repeat(64)}.example`, /not a valid host name/],
  ])('rejects %j', (entry, problem) => {
    let caught: unknown
    try {
      parseAllowHost(entry)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InvalidAllowHostError)
    const error = caught as InvalidAllowHostError
    expect(error.code).toBe('INVALID_ALLOW_HOST')
    expect(error.shortMessage).toContain(JSON.stringify(entry))
    expect(error.shortMessage).toMatch(problem)
    expect(error.hint).toContain('[::1]:8080')
  })
})
