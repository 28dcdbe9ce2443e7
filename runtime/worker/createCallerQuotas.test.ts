import { describe, expect, it } from 'vitest'
import { createCallerQuotas } from './createCallerQuotas.js'

describe('createCallerQuotas', () => {
  it('admits `concurrency` invocations of one caller at once, and others of other callers', () => {
    const quotas = createCallerQuotas({ concurrency: 2, now: () => 0 })
    const first = quotas.admit('alice')
    const second = quotas.admit('alice')
    const third = quotas.admit('alice')
    expect([first.admitted, second.admitted, third.admitted]).toEqual([true, true, false])
    expect(third).toMatchObject({ reason: 'CONCURRENCY', retryAfterMs: 100 })
    expect(quotas.admit('bob').admitted).toBe(true)
    if (first.admitted) {
      first.done(0)
      first.done(0)
    }
    expect(quotas.admit('alice').admitted).toBe(true)
    expect(quotas.admit('alice').admitted).toBe(false)
  })

  it('refuses a caller whose CPU time is spent until it drains, and says when to retry', () => {
    let now = 0
    const quotas = createCallerQuotas({ concurrency: 4, cpuMs: 1000, windowMs: 10_000, now: () => now })
    const run = (cpuMs: number) => {
      const admission = quotas.admit('alice')
      if (admission.admitted) admission.done(cpuMs)
      return admission
    }
    expect(run(600).admitted).toBe(true)
    expect(run(600).admitted).toBe(true)
    // 1200 ms spent of 1000: drains at 0.1 ms per ms, so below the quota again in 2000 ms.
    const refused = run(0)
    expect(refused).toMatchObject({ admitted: false, reason: 'CPU_TIME', retryAfterMs: 2000 })
    if (!refused.admitted) {
      expect(refused.message).toBe(
        'This caller used its CPU-time quota (1000 ms per 10000 ms); retry in 2 s.',
      )
      expect(refused.message).not.toContain('alice')
    }
    expect(quotas.admit('bob').admitted).toBe(true)
    now = 2001
    expect(run(0).admitted).toBe(true)
  })

  it('charges CPU time when an invocation ends: running ones overshoot by at most their own use', () => {
    const quotas = createCallerQuotas({ concurrency: 2, cpuMs: 100, windowMs: 1000, now: () => 0 })
    const a = quotas.admit('alice')
    const b = quotas.admit('alice')
    if (!a.admitted || !b.admitted) throw new Error('both should be admitted')
    a.done(500)
    b.done(500)
    expect(quotas.admit('alice')).toMatchObject({ admitted: false, reason: 'CPU_TIME', retryAfterMs: 9000 })
  })

  it('forgets idle callers whose time has drained once it remembers too many', () => {
    let now = 0
    const quotas = createCallerQuotas({ maxCallers: 3, cpuMs: 100, windowMs: 1000, now: () => now })
    for (const caller of ['a', 'b', 'c']) {
      const admission = quotas.admit(caller)
      if (admission.admitted) admission.done(50)
    }
    const busy = quotas.admit('a')
    expect(quotas.size()).toBe(3)
    now = 10_000
    quotas.admit('d')
    // b and c drained and idle: forgotten; a is running, d is new.
    expect(quotas.size()).toBe(2)
    if (busy.admitted) busy.done(0)
  })
})
