export type BlockWaiters = {
  /** Resolves once the last block processed is `number` or a later one. */
  wait(number: number): Promise<void>
  /** The last block processed is now `number` (lower after a reorg sent the watcher back). */
  reached(number: number): void
  /** Fails every wait (the watcher stopped), and any later one. */
  fail(error: Error): void
}

/** Who waits for the watcher to get past a block (tests, tools, graceful handovers). */
export function createBlockWaiters(): BlockWaiters {
  let last = Number.NEGATIVE_INFINITY
  let failure: Error | undefined
  const waiters = new Set<{ number: number; resolve: () => void; reject: (error: Error) => void }>()
  return {
    wait(number) {
      if (last >= number) return Promise.resolve()
      if (failure) return Promise.reject(failure)
      return new Promise((resolve, reject) => waiters.add({ number, resolve, reject }))
    },
    reached(number) {
      last = number
      for (const waiter of waiters) {
        if (waiter.number > number) continue
        waiters.delete(waiter)
        waiter.resolve()
      }
    },
    fail(error) {
      failure = error
      for (const waiter of waiters) waiter.reject(error)
      waiters.clear()
    },
  }
}
