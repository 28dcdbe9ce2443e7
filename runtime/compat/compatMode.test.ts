import { describe, expect, it } from 'vitest'
import { defaultLimits } from '../sandbox/limits.js'
import { compatDefaultLimits } from './compatDefaultLimits.js'
import { compatBanner, compatModeOf } from './compatMode.js'

describe('compatMode', () => {
  it("reads the mode from the banner on the bundle's first line only", () => {
    expect(compatModeOf(`${compatBanner('chainlink')}\nexport default 1`)).toBe('chainlink')
    expect(compatModeOf('export default 1')).toBeUndefined()
    expect(compatModeOf('// teefn-compat: gelato\n')).toBeUndefined()
    expect(compatModeOf(`\n${compatBanner('chainlink')}\n`)).toBeUndefined()
  })

  it("gives Chainlink's limits by default, never more than a plain function gets", () => {
    const limits = compatDefaultLimits('chainlink', defaultLimits)
    expect(limits).toMatchObject({
      maxFetches: 5,
      resultBytes: 256,
      fetchTimeoutMs: 9_000,
      timeoutMs: 10_000,
    })
    expect(limits.memoryBytes).toBe(defaultLimits.memoryBytes)
    expect(compatDefaultLimits('chainlink', { ...defaultLimits, maxFetches: 2 }).maxFetches).toBe(2)
    expect(compatDefaultLimits(undefined, defaultLimits)).toBe(defaultLimits)
  })

  it("gives Lit's limits, every one above teefn's plain defaults, as the plain defaults", () => {
    expect(compatModeOf(`${compatBanner('lit')}\nexport default 1`)).toBe('lit')
    expect(compatDefaultLimits('lit', defaultLimits)).toEqual(defaultLimits)
    expect(compatDefaultLimits('lit', { ...defaultLimits, timeoutMs: 60_000 }).timeoutMs).toBe(30_000)
  })
})
