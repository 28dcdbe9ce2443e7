import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/teefn.js', import.meta.url))

export type RunTeefnReturnType = { status: number | null; stdout: string; stderr: string }

export type RunTeefnOptions = {
  input?: string
  cwd?: string
  timeoutMs?: number
  /** Another install's `bin/teefn.js` (a copy of this one, say); this repository's by default. */
  bin?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Runs the built `teefn` binary (as `npx teefn` does) and collects its output. With `timeoutMs`, a run that
 * has not exited by then is killed by its PID and rejects with what it printed so far.
 */
export function runTeefn(args: string[], options: RunTeefnOptions = {}): Promise<RunTeefnReturnType> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? bin, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL')
            reject(
              new Error(
                `teefn ${args.join(' ')} did not exit within ${options.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
              ),
            )
          }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}
