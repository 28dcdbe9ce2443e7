import { describe, expect, it } from 'vitest'
import { defaultHttpMaximumLimits, defaultMaximumLimits } from '../../runtime/sandbox/index.js'
import { ConfigError } from './ConfigError.js'
import { httpMaximumLimitsOf } from './httpMaximumLimitsOf.js'
import type { NodeConfig } from './nodeConfigSchema.js'

const config = (httpMaximumLimits?: object) => ({ worker: { httpMaximumLimits } }) as unknown as NodeConfig

describe('httpMaximumLimitsOf', () => {
  it('gives the HTTP defaults, lowered to a lower operator maximum', () => {
    expect(httpMaximumLimitsOf(config(), defaultMaximumLimits)).toEqual(defaultHttpMaximumLimits)
    const maximum = { ...defaultMaximumLimits, timeoutMs: 5_000 }
    expect(httpMaximumLimitsOf(config(), maximum)).toEqual({ ...defaultHttpMaximumLimits, timeoutMs: 5_000 })
  })

  it('takes configured values up to the operator maximum, and refuses more with a ConfigError', () => {
    expect(httpMaximumLimitsOf(config({ timeoutMs: 30_000 }), defaultMaximumLimits).timeoutMs).toBe(30_000)
    expect(() => httpMaximumLimitsOf(config({ timeoutMs: 120_000 }), defaultMaximumLimits)).toThrow(
      ConfigError,
    )
  })
})
