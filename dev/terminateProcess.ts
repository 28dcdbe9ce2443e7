import type { ChildProcess } from 'node:child_process'

/**
 * SIGTERM (anvil dumps its state, redis-server saves nothing), then SIGKILL if it is still alive after
 * `graceMs`; resolves once it has exited.
 */
export async function terminateProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
