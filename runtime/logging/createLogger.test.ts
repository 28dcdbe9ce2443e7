import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { redactedLogPaths } from './createLogger.js'

describe('redactedLogPaths', () => {
  it('masks secrets, keys and credentials wherever a log line carries them', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = pino({ redact: { paths: redactedLogPaths, censor: '[redacted]' } }, sink)
    logger.info({ secrets: { API_KEY: 'sk_1' }, job: { privateKey: '0xdead', secrets: 'x' } }, 'job')
    logger.info({ req: { headers: { authorization: 'Bearer t0k', 'x-api-key': 'k3y' } } }, 'request')
    const written = lines.join('')
    for (const value of ['sk_1', '0xdead', 'Bearer t0k', 'k3y']) expect(written).not.toContain(value)
    expect(written.match(/\[redacted\]/g)).toHaveLength(5)
  })
})
