export type CreateBlockLoopParameters = {
  /** The first block to process. */
  from: number
  /** The last block to process for now (the head); `raise` moves it. */
  target: number
  /** Processes block `number` and resolves with the next one to process (`number + 1`, or earlier after a reorg). */
  step: (number: number) => Promise<number>
  /** First wait after a failed step, doubling up to 30 s. */
  retryDelayMs: number
  /** Told about a failed step before the wait. */
  onError?: ((error: unknown, number: number, retryInMs: number) => void) | undefined
}

export type BlockLoop = {
  /** Moves the target up (a new head); wakes the loop, also from a retry's wait. */
  raise(target: number): void
  /** The next block the loop will process. */
  readonly next: number
  /** Stops after the step in progress. */
  stop(): Promise<void>
}

const maxRetryDelayMs = 30_000

/**
 * Processes blocks one by one, in order, up to a target that only moves up, then waits for `raise`. A failed
 * step is retried, after a wait that doubles from `retryDelayMs` (a new head cuts it short); the step decides
 * where to go on, so a reorg can send the loop back.
 */
export function createBlockLoop({
  from,
  target: first,
  step,
  retryDelayMs,
  onError,
}: CreateBlockLoopParameters): BlockLoop {
  let next = from
  let target = first
  let stopped = false
  let wake: (() => void) | undefined
  const kick = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const wait = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const running = (async () => {
    let failures = 0
    while (!stopped) {
      if (next > target) {
        await wait()
        continue
      }
      try {
        next = await step(next)
        failures = 0
      } catch (error) {
        if (stopped) break
        const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** failures++)
        onError?.(error, next, delay)
        await wait(delay)
      }
    }
  })()

  return {
    raise(number) {
      if (number > target) target = number
      kick()
    },
    get next() {
      return next
    },
    async stop() {
      stopped = true
      kick()
      await running
    },
  }
}
