import { describe, expect, it } from 'vitest'
import { endpointHost, redactEndpoints } from './endpointHost.js'

describe('endpointHost', () => {
  it('keeps host and port, drops credentials, path and query', () => {
    expect(endpointHost('wss://user:secret@rpc.example.org:443/v1/apikey123?token=abc')).toBe(
      'rpc.example.org',
    )
    expect(endpointHost('ws://127.0.0.1:9944/ws')).toBe('127.0.0.1:9944')
    expect(endpointHost('not a url')).toBe('(invalid url)')
  })

  it('redacts every URL quoted in a message', () => {
    const message = 'connect to wss://rpc.example.org/v1/apikey123 failed; tried ws://u:p@10.0.0.2:9944/x too'
    const redacted = redactEndpoints(message)
    expect(redacted).toBe('connect to rpc.example.org failed; tried 10.0.0.2:9944 too')
    expect(redacted).not.toMatch(/apikey123|u:p/)
  })
})
