import { describe, expect, it } from 'vitest'
import type { Envelope } from '../runtime/enclave/envelope.js'
import type { RequestJobResult } from '../runtime/queue/jobs.js'
import { maxApiLogBytes, maxApiLogEntries, presentOutcome } from './presentOutcome.js'

const envelopeWith = (result: string) => ({ result }) as unknown as Envelope

const jobResult = (result: string, logs: RequestJobResult['logs'] = []): RequestJobResult => ({
  status: 'OK',
  envelope: envelopeWith(result),
  logs,
  stats: { durationMs: 1.23456, fetches: 2 },
  delivered: false,
})

describe('presentOutcome', () => {
  it('shows printable UTF-8 as text and anything else as hex, always with resultHex', () => {
    const text = presentOutcome(jobResult(`0x${Buffer.from('héllo\n\tworld').toString('hex')}`))
    expect(text).toMatchObject({ result: 'héllo\n\tworld', resultEncoding: 'utf8' })
    expect(text.resultHex).toBe(`0x${Buffer.from('héllo\n\tworld').toString('hex')}`)
    expect(presentOutcome(jobResult('0xff00'))).toMatchObject({ result: '0xff00', resultEncoding: 'hex' })
    expect(presentOutcome(jobResult('0x0001'))).toMatchObject({ result: '0x0001', resultEncoding: 'hex' })
    expect(presentOutcome(jobResult('0x'))).toMatchObject({ result: '', resultEncoding: 'utf8' })
    expect(presentOutcome(jobResult('0x61')).stats).toEqual({ durationMs: 1.235, fetches: 2 })
  })

  it('bounds logs by entries and bytes, and says so', () => {
    const many = Array.from({ length: maxApiLogEntries + 5 }, (_, i) => ({
      level: 'log' as const,
      message: `${i}`,
    }))
    const byCount = presentOutcome(jobResult('0x', many))
    expect(byCount.logs).toHaveLength(maxApiLogEntries)
    expect(byCount.logsTruncated).toBe(true)

    const big = [
      { level: 'info' as const, message: 'é'.repeat(maxApiLogBytes / 2 - 1) },
      { level: 'warn' as const, message: 'é'.repeat(10) },
    ]
    const byBytes = presentOutcome(jobResult('0x', big))
    expect(byBytes.logsTruncated).toBe(true)
    expect(byBytes.logs[1]?.message).toBe('é')
    expect(
      byBytes.logs.reduce((sum, entry) => sum + Buffer.byteLength(entry.message), 0),
    ).toBeLessThanOrEqual(maxApiLogBytes)
    expect(presentOutcome(jobResult('0x', [{ level: 'log', message: 'one' }])).logsTruncated).toBe(false)
  })
})
