import { describe, expect, it } from 'vitest'
import { formatBytes } from './formatBytes.js'

describe('formatBytes', () => {
  it('uses the largest exact binary unit', () => {
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MiB')
    expect(formatBytes(1536)).toBe('1536 bytes')
    expect(formatBytes(2048)).toBe('2 KiB')
    expect(formatBytes(1000)).toBe('1000 bytes')
  })
})
