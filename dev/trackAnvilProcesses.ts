import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'

const live = new Set<ChildProcess>()
const tempDirs = new Set<string>()
let exitHookInstalled = false

/**
 * The anvil processes and temp state directories this process started, so that none outlives it: when Node
 * exits, or a signal ends it, every one left is killed (SIGKILL) and removed.
 */
export function trackAnvilProcess(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
}

/** Registers a temp state directory for removal at exit (`removeTempDir` removes it earlier). */
export function trackTempDir(dir: string): void {
  tempDirs.add(dir)
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

function killAll(): void {
  for (const child of live) child.kill('SIGKILL')
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

export function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', killAll)
  // 'exit' does not run when a signal ends the process (e.g. a test runner terminating a worker): clean up,
  // then let the signal take its default course unless someone else handles it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll()
      process.removeListener(signal, onSignal)
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}
