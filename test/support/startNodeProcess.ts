import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { NodeProcessInput } from './nodeProcess.js'

export type NodeProcess = {
  readonly pid: number
  /** SIGKILL: the process dies in the middle of whatever it does, as in a crash. */
  kill(): Promise<void>
  /** SIGTERM: the node finishes its jobs and exits. */
  stop(): Promise<void>
  output(): string
}

const entry = fileURLToPath(new URL('./nodeProcess.ts', import.meta.url))
const live = new Set<ChildProcess>()
// A test that dies must not leave nodes behind taking jobs from a later run's Redis.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Starts `nodeProcess.ts` (the production `startNode`, from sources through tsx) in a child Node with `input` and
 * resolves once it runs. `env` adds to this process's environment (secrets the config names as `env:NAME`).
 */
export async function startNodeProcess(
  input: NodeProcessInput,
  { env = {}, timeoutMs = 30_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<NodeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEEFN_LOG_LEVEL: 'silent', ...env },
  })
  live.add(child)
  let output = ''
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child)
      resolve()
    }),
  )
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the node process did not start in time:\n${output}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000)
      if (output.includes('ready\n')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the node process exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name)
    await exited
  }
  return {
    pid: child.pid!,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    output: () => output,
  }
}
