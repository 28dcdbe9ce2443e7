import type { ChildProcess } from 'node:child_process'

/**
 * `signal` (SIGTERM by default: anvil dumps its state; SIGKILL to crash a server in a test), then SIGKILL if it
 * is still alive after `graceMs`; resolves once it has exited.
 */
export async function terminateProcess(
  child: ChildProcess,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
