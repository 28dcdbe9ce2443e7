import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | undefined

/**
 * Runs a full garbage collection, so that `process.memoryUsage()` counts only what is still referenced.
 * Works without `--expose-gc` on the command line: the flag is set at run time and `gc` taken from a fresh context.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

/**
 * `process.memoryUsage().arrayBuffers` above `baseline` once garbage is collected, given up to `timeoutMs` to fall
 * to `bound`: sockets the test destroyed (and their buffers) are released on later ticks, later still on a busy
 * machine. Returns the last reading, at or below `bound` unless something really holds the memory.
 */
export async function settledArrayBuffers(
  baseline: number,
  bound: number,
  timeoutMs = 3_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    collectGarbage()
    const used = process.memoryUsage().arrayBuffers - baseline
    if (used < bound || Date.now() > deadline) return used
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
