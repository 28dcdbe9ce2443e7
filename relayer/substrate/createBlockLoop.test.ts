import { describe, expect, it } from 'vitest'
import { createBlockLoop } from './createBlockLoop.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))
/** Waits until `check` holds, for 5 s at most. */
async function until(check: () => boolean) {
  const deadline = Date.now() + 5_000
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(check()).toBe(true)
}

describe('createBlockLoop', () => {
  it('processes blocks in order up to the target, then waits for a higher one', async () => {
    const processed: number[] = []
    const loop = createBlockLoop({
      from: 3,
      target: 5,
      step: async (number) => {
        processed.push(number)
        return number + 1
      },
      retryDelayMs: 1,
    })
    await until(() => processed.length === 3)
    loop.raise(4) // lower than the target: changes nothing
    await tick()
    expect(processed).toEqual([3, 4, 5])
    loop.raise(7)
    await until(() => processed.length === 5)
    expect(processed).toEqual([3, 4, 5, 6, 7])
    expect(loop.next).toBe(8)
    await loop.stop()
  })

  it('goes where the step sends it (back, after a reorg)', async () => {
    const processed: number[] = []
    const loop = createBlockLoop({
      from: 10,
      target: 12,
      step: async (number) => {
        processed.push(number)
        return number === 11 && processed.length === 2 ? 8 : number + 1
      },
      retryDelayMs: 1,
    })
    await until(() => loop.next === 13)
    expect(processed).toEqual([10, 11, 8, 9, 10, 11, 12])
    await loop.stop()
  })

  /** A step that fails `failures` times, then processes; `processed` lists what it processed. */
  const flakyStep = (failures: number) => {
    const processed: number[] = []
    const step = async (number: number) => {
      if (failures-- > 0) throw new Error('node down')
      processed.push(number)
      return number + 1
    }
    return { step, processed }
  }

  it('retries a failed step after a doubling wait, telling onError', async () => {
    const errors: [number, number][] = []
    const { step, processed } = flakyStep(2)
    const onError = (_: unknown, number: number, retryInMs: number) => errors.push([number, retryInMs])
    const loop = createBlockLoop({ from: 1, target: 1, step, retryDelayMs: 5, onError })
    await until(() => processed.length === 1)
    expect(errors).toEqual([
      [1, 5],
      [1, 10],
    ])
    await loop.stop()
  })

  it('cuts a retry’s wait short on a new head', async () => {
    const { step, processed } = flakyStep(1)
    const onError = () => setImmediate(() => loop.raise(1))
    const loop = createBlockLoop({ from: 1, target: 1, step, retryDelayMs: 600_000, onError })
    await until(() => processed.length === 1)
    await loop.stop()
  })

  it('stops after the step in progress, and steps no more', async () => {
    let release: (() => void) | undefined
    const processed: number[] = []
    const loop = createBlockLoop({
      from: 1,
      target: 100,
      step: (number) =>
        new Promise((resolve) => {
          release = () => {
            processed.push(number)
            resolve(number + 1)
          }
        }),
      retryDelayMs: 1,
    })
    await until(() => release !== undefined)
    const stopping = loop.stop()
    release!()
    await stopping
    expect(processed).toEqual([1])
  })
})
