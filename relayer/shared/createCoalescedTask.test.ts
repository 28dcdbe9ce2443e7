import { describe, expect, it } from 'vitest'
import { createCoalescedTask } from './createCoalescedTask.js'

/** A task the test finishes by hand; `started` counts its runs. */
function manualTask() {
  let started = 0
  let finish: ((error?: Error) => void) | undefined
  const task = () =>
    new Promise<void>((resolve, reject) => {
      started++
      finish = (error) => (error ? reject(error) : resolve())
    })
  const settle = async (error?: Error) => {
    finish!(error)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { task, settle, started: () => started }
}

describe('createCoalescedTask', () => {
  it('runs one at a time, and once more for any number of asks while it ran', async () => {
    const { task, settle, started } = manualTask()
    const coalesced = createCoalescedTask(task)
    const first = coalesced.run()
    const asks = [coalesced.run(), coalesced.run(), coalesced.run()]
    expect(asks.every((ask) => ask === first)).toBe(true)
    expect(started()).toBe(1)
    await settle()
    expect(started()).toBe(2)
    await settle()
    await Promise.all([first, ...asks])
    expect(started()).toBe(2)
    expect(coalesced.running).toBeUndefined()
  })

  it('ends the series on a failed run without rejecting, and runs again when asked later', async () => {
    const { task, settle, started } = manualTask()
    const coalesced = createCoalescedTask(task)
    const first = coalesced.run()
    void coalesced.run()
    await settle(new Error('node down'))
    await expect(first).resolves.toBeUndefined()
    expect(started()).toBe(1)
    void coalesced.run()
    expect(started()).toBe(2)
    await settle()
  })

  it('drops a pending ask when again() says stop', async () => {
    const { task, settle, started } = manualTask()
    let stopping = false
    const coalesced = createCoalescedTask(task, () => !stopping)
    const first = coalesced.run()
    void coalesced.run()
    stopping = true
    await settle()
    await first
    expect(started()).toBe(1)
  })
})
