import { describe, expect, it } from 'vitest'
import type { Envelope } from '../enclave/envelope.js'
import { boundJobResult } from './boundJobResult.js'
import type { JobLogEntry, RequestJobResult } from './jobs.js'

const envelopeWith = (result: string): Envelope => ({
  version: 2,
  family: 'evm',
  chainId: '0',
  destination: `0x${'00'.repeat(20)}`,
  requestId: `0x${'11'.repeat(32)}`,
  functionId: `0x${'00'.repeat(32)}`,
  payloadHash: `0x${'22'.repeat(32)}`,
  codeHash: `0x${'33'.repeat(32)}`,
  status: 'OK',
  resultHash: `0x${'44'.repeat(32)}`,
  result: `0x${result}`,
  worker: `0x${'55'.repeat(20)}`,
  signature: `0x${'66'.repeat(65)}`,
})
const resultOf = (logs: JobLogEntry[], resultHex = 'abcd'): RequestJobResult => ({
  status: 'OK',
  envelope: envelopeWith(resultHex),
  logs,
  stats: { durationMs: 1, fetches: 0 },
  delivered: false,
})
const caps = { resultBytes: 1024, logBytes: 4096 }
const storedBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value))

describe('boundJobResult', () => {
  it('keeps a result within the caps as it is', () => {
    const result = resultOf([{ level: 'log', message: 'hello' }])
    expect(boundJobResult(result, caps)).toBe(result)
  })

  it('cuts logs measured as stored JSON, behind a marker: control characters and empty lines included', () => {
    for (const logs of [
      Array.from({ length: 10 }, () => ({ level: 'log' as const, message: '\u0001'.repeat(1000) })),
      Array.from({ length: 100_000 }, () => ({ level: 'log' as const, message: '' })),
      [{ level: 'warn' as const, message: '"\\'.repeat(50_000) }],
    ]) {
      const bounded = boundJobResult(resultOf(logs), caps)
      expect(storedBytes(bounded.logs)).toBeLessThanOrEqual(caps.logBytes)
      expect(bounded.logs.at(-1)).toEqual({
        level: 'warn',
        message: expect.stringMatching(
          /^\[teefn: stored logs cut at 4096 bytes; \d+ of \d+ lines left out\]$/,
        ),
      })
      expect(bounded.logs.length).toBeGreaterThan(1)
    }
  })

  it('keeps a digest of a result over the cap: the envelope without its bytes, and their count', () => {
    const bounded = boundJobResult(resultOf([], 'ab'.repeat(2000)), caps)
    expect(bounded.envelope.result).toBe('0x')
    expect(bounded.envelope.resultHash).toBe(`0x${'44'.repeat(32)}`)
    expect(bounded.resultOmitted).toEqual({ bytes: 2000 })
    expect(storedBytes(bounded)).toBeLessThan(2000)
  })
})
