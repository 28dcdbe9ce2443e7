import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { NodeConfig } from '../../cli/node/nodeConfigSchema.js'

export type SpawnTeefnNodeParameters = {
  /** Where the config is written, as an operator's file. */
  configFile: string
  config: NodeConfig
  /** `--role`; the config's (else all) when absent. */
  role?: string | undefined
  /** Adds to this process's environment (the `env:NAME` secrets the config names). */
  env?: NodeJS.ProcessEnv | undefined
}

export type TeefnNodeProcess = {
  readonly pid: number
  output(): string
  running(): boolean
  /** Sends `signal` to this pid (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

const cli = fileURLToPath(new URL('../../cli/main.ts', import.meta.url))

/**
 * `teefn node --config <file>` in its own process, the CLI from sources (through tsx) so the demo needs no build.
 * Its logs are kept (the last 16 kB) for when something goes wrong.
 */
export async function spawnTeefnNode({
  configFile,
  config,
  role,
  env = {},
}: SpawnTeefnNodeParameters): Promise<TeefnNodeProcess> {
  await writeFile(configFile, JSON.stringify(config, null, 2))
  const args = ['--import', 'tsx', cli, 'node', '--config', configFile, ...(role ? ['--role', role] : [])]
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, TEEFN_LOG_LEVEL: process.env.TEEFN_LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    pid: child.pid!,
    output: () => output,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal)
      await exited
    },
  }
}
