import { describe, expect, it } from 'vitest'
import { defaultLimits } from '../sandbox/limits.js'
import { compatDefaultLimits } from './compatDefaultLimits.js'
import { compatBanner, compatModeOf } from './compatMode.js'

describe('compatMode', () => {
  it("reads the mode from the banner on the bundle's first line only", () => {
    expect(compatModeOf(`${compatBanner('chainlink')}\nexport default 1`)).toBe('chainlink')
    expect(compatModeOf('export default 1')).toBeUndefined()
    expect(compatModeOf(`${compatBanner('phat')}\nexport default 1`)).toBe('phat')
    expect(compatModeOf('// teefn-compat: nosuchmode\n')).toBeUndefined()
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

  it("gives Phat's limits by default: 10 s, 10 s per request, 2 MiB per response", () => {
    const limits = compatDefaultLimits('phat', defaultLimits)
    expect(limits).toMatchObject({
      timeoutMs: 10_000,
      fetchTimeoutMs: 10_000,
      fetchResponseBytes: 2 * 1024 * 1024,
    })
    expect(limits.maxFetches).toBe(defaultLimits.maxFetches)
    expect(compatDefaultLimits('phat', { ...defaultLimits, timeoutMs: 5_000 }).timeoutMs).toBe(5_000)
  })

  it("gives Lit's limits, every one above teefn's plain defaults, as the plain defaults", () => {
    expect(compatModeOf(`${compatBanner('lit')}\nexport default 1`)).toBe('lit')
    expect(compatDefaultLimits('lit', defaultLimits)).toEqual(defaultLimits)
    expect(compatDefaultLimits('lit', { ...defaultLimits, timeoutMs: 60_000 }).timeoutMs).toBe(30_000)
  })

  it("gives Gelato's 5 s run by default, and teefn's own limits where Gelato's are higher", () => {
    expect(compatModeOf(`${compatBanner('gelato')}\nexport default 1`)).toBe('gelato')
    const limits = compatDefaultLimits('gelato', defaultLimits)
    expect(limits).toEqual({ ...defaultLimits, timeoutMs: 5_000 })
    expect(compatDefaultLimits('gelato', { ...defaultLimits, timeoutMs: 2_000 }).timeoutMs).toBe(2_000)
  })
})
