export type CoalescedTask = {
  /**
   * Runs the task, or, while it runs, asks for one more run after it; resolves when the runs asked for so far
   * are done.
   */
  run(): Promise<void>
  /** The run in progress, if any. */
  readonly running: Promise<void> | undefined
}

/**
 * One run of `task` at a time: asking while it runs makes it run once more (however often it was asked), so
 * whatever changed meanwhile is seen, and nothing runs twice at once. A run that throws ends the series (the
 * task reports its own errors: `run` never rejects); `again` says whether to honour a pending ask (false: stop).
 */
export function createCoalescedTask(
  task: () => Promise<void>,
  again: () => boolean = () => true,
): CoalescedTask {
  let running: Promise<void> | undefined
  let asked = false
  return {
    run() {
      if (running) {
        asked = true
        return running
      }
      running = (async () => {
        do {
          asked = false
          try {
            await task()
          } catch {
            return
          }
        } while (asked && again())
      })().finally(() => {
        running = undefined
      })
      return running
    },
    get running() {
      return running
    },
  }
}
