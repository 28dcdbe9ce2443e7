import type { AdmittedWorkerVerdict } from './judgeAdmittedWorker.js'

/**
 * How many rechecks in a row each admitted worker failed. One unreachable fetch must not remove a worker: a
 * failure removes it once it happened `limit` times in a row, a definite one (`judgeAdmittedWorker`) at once, and
 * a passing recheck starts the count again.
 */
export class FailureStreaks {
  readonly #counts = new Map<string, number>()

  constructor(readonly limit: number) {}

  /** Records one recheck of `worker`; returns the streak and whether the worker is to be removed now. */
  record(worker: string, verdict: AdmittedWorkerVerdict): { streak: number; remove: boolean } {
    const key = worker.toLowerCase()
    if (verdict.keep) {
      this.#counts.delete(key)
      return { streak: 0, remove: false }
    }
    const streak = (this.#counts.get(key) ?? 0) + 1
    this.#counts.set(key, streak)
    return { streak, remove: verdict.definite || streak >= this.limit }
  }

  /** Drops the count of a worker no longer admitted. */
  forget(worker: string): void {
    this.#counts.delete(worker.toLowerCase())
  }
}
