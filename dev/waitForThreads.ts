import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { anvilError } from './anvilError.js'

/** Waits until every thread of `pid` is in a state `accept`s (from /proc/<pid>/task/<tid>/stat). */
export async function waitForThreads(
  pid: number,
  accept: (state: string) => boolean,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    let states: string[]
    try {
      states = readdirSync(`/proc/${pid}/task`).map((tid) => {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      })
    } catch {
      return // the process is gone: nothing left to wait for
    }
    if (states.every(accept)) return
    if (Date.now() > deadline) {
      throw anvilError(
        `anvil threads did not change state in time (${states.join('')}).`,
        'ANVIL_SIGNAL',
        output,
      )
    }
    await sleep(2)
  }
}
