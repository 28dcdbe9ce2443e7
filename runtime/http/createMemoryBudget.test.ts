import { describe, expect, it } from 'vitest'
import { createMemoryBudget } from './createMemoryBudget.js'

describe('createMemoryBudget', () => {
  it('reserves while bytes fit, gives them back on release, and remembers the peak', () => {
    const changes: number[] = []
    const budget = createMemoryBudget({ limitBytes: 100, onChange: (reserved) => changes.push(reserved) })
    const a = budget.tryReserve(60)!
    expect(a.bytes).toBe(60)
    expect(budget.tryReserve(41)).toBeUndefined()
    const b = budget.tryReserve(0)!
    expect(b.tryGrow(40)).toBe(true)
    expect(b.tryGrow(1)).toBe(false)
    expect(budget.availableBytes()).toBe(0)
    a.release()
    a.release()
    expect(budget.reservedBytes).toBe(40)
    b.shrink(15)
    expect(b.bytes).toBe(25)
    b.release()
    expect(budget.reservedBytes).toBe(0)
    expect(budget.peakBytes).toBe(100)
    expect(changes).toEqual([60, 100, 40, 25, 0])
    // A released reservation cannot grow again.
    expect(a.tryGrow(1)).toBe(false)
  })

  it('counts what is used elsewhere against the same limit', () => {
    let heap = 30
    const budget = createMemoryBudget({ limitBytes: 100, usedElsewhere: () => heap })
    expect(budget.tryReserve(71)).toBeUndefined()
    const body = budget.tryReserve(70)!
    heap = 50
    expect(budget.availableBytes()).toBe(0)
    expect(body.tryGrow(1)).toBe(false)
    expect(budget.describe()).toBe(
      "limit 100 bytes; 70 held by the host for responses, 50 used by the function's heap, 0 left",
    )
  })
})
