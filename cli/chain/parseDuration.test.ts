import { describe, expect, it } from 'vitest'
import { parseDuration } from './parseDuration.js'

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect(parseDuration('45', '--x')).toBe(45)
    expect(parseDuration('45s', '--x')).toBe(45)
    expect(parseDuration('90m', '--x')).toBe(5_400)
    expect(parseDuration('12h', '--x')).toBe(43_200)
    expect(parseDuration('30d', '--x')).toBe(2_592_000)
  })

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['0', '-1d', '1w', '1.5h', 'soon', '']) {
      expect(() => parseDuration(bad, '--expires-in')).toThrow(/^--expires-in .* is not a duration/)
    }
  })
})
