import { describe, expect, it } from 'vitest'
import { createBlockWaiters } from './createBlockWaiters.js'

describe('createBlockWaiters', () => {
  it('resolves a wait once the last block processed reaches it, at once when it has', async () => {
    const waiters = createBlockWaiters()
    const settled: number[] = []
    const wait = (number: number) => waiters.wait(number).then(() => settled.push(number))
    const pending = [wait(3), wait(5)]
    waiters.reached(4)
    await pending[0]
    expect(settled).toEqual([3])
    waiters.reached(5)
    await pending[1]
    await wait(2)
    expect(settled).toEqual([3, 5, 2])
  })

  it('waits again for a block a reorg took the watcher back from', async () => {
    const waiters = createBlockWaiters()
    waiters.reached(10)
    waiters.reached(7)
    let done = false
    const wait = waiters.wait(9).then(() => {
      done = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(done).toBe(false)
    waiters.reached(9)
    await wait
  })

  it('fails every wait when the watcher stops, and any later one', async () => {
    const waiters = createBlockWaiters()
    const pending = waiters.wait(1)
    waiters.fail(new Error('stopped'))
    await expect(pending).rejects.toThrow('stopped')
    await expect(waiters.wait(2)).rejects.toThrow('stopped')
  })
})
