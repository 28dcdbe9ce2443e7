import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/teefn.js', import.meta.url))

export type RunTeefnReturnType = { status: number | null; stdout: string; stderr: string }

/** Runs the built `teefn` binary (as `npx teefn` does) and collects its output. */
export function runTeefn(
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Promise<RunTeefnReturnType> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
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
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}
