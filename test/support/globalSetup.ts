import { execFileSync } from 'node:child_process'

/**
 * Builds `dist/` once before the suite, so tests of the `teefn` binary run what users run.
 * `TEEFN_SKIP_BUILD=1` skips it when iterating on code whose tests do not spawn the binary.
 */
export default function setup(): void {
  if (process.env.TEEFN_SKIP_BUILD === '1') return
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
}
