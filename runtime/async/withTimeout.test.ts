import { describe, expect, it } from 'vitest'
import { BaseError } from '../errors/BaseError.js'
import { TimeoutError } from './TimeoutError.js'
import { withTimeout } from './withTimeout.js'

const never = () => new Promise<never>(() => {})

describe('withTimeout', () => {
  it('settles as the promise does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), { timeoutMs: 1_000 })).resolves.toBe(7)
    await expect(withTimeout(Promise.reject(new Error('boom')), { timeoutMs: 1_000 })).rejects.toThrow('boom')
  })

  it('rejects with a TimeoutError by default', async () => {
    const error = await withTimeout(never(), { timeoutMs: 10 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(BaseError)
    expect(error).toMatchObject({ code: 'TIMEOUT', shortMessage: 'no answer after 10 ms' })
  })

  it("rejects with the caller's error", async () => {
    const own = new BaseError('Too slow.', { code: 'OWN_CODE' })
    await expect(withTimeout(never(), { timeoutMs: 10, error: () => own })).rejects.toBe(own)
  })

  it('resolves with the fallback instead when one is given', async () => {
    await expect(withTimeout(never(), { timeoutMs: 10, fallback: () => 'late' })).resolves.toBe('late')
  })

  it('does not leave a late rejection unhandled', async () => {
    let reject!: (error: Error) => void
    const late = new Promise<never>((_, r) => {
      reject = r
    })
    await expect(withTimeout(late, { timeoutMs: 10 })).rejects.toBeInstanceOf(TimeoutError)
    reject(new Error('late'))
    await new Promise((resolve) => setImmediate(resolve))
  })
})
