import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type GatekeeperNode = {
  child: ChildProcess
  /** Everything it printed so far (pino JSON lines). */
  output(): string
  /** The JSON log lines whose `msg` is `message`, in order. */
  logged(message: string): Record<string, unknown>[]
}

const bin = fileURLToPath(new URL('../../bin/teefn.js', import.meta.url))
const live = new Set<ChildProcess>()
// A test that dies must not leave gatekeepers behind signing on a later run's chain.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * `teefn node --config <configFile> --role gatekeeper`, the built CLI in its own process, its key in the
 * environment as `GATEKEEPER_KEY` (the config names it `env:GATEKEEPER_KEY`). `stopGatekeeperNodes` ends them.
 */
export function startGatekeeperNode(configFile: string, key: string): GatekeeperNode {
  const child = spawn(process.execPath, [bin, 'node', '--config', configFile, '--role', 'gatekeeper'], {
    env: { ...process.env, TEEFN_TEE_PROVIDER: 'dev', GATEKEEPER_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let output = ''
  const append = (chunk: Buffer) => {
    output += chunk.toString()
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  child.once('exit', () => live.delete(child))
  return {
    child,
    output: () => output,
    logged: (message) =>
      output
        .split('\n')
        .filter((line) => line.includes(`"msg":${JSON.stringify(message)}`))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

/** SIGKILLs every gatekeeper node still running. */
export function stopGatekeeperNodes(): void {
  for (const child of live) child.kill('SIGKILL')
}
