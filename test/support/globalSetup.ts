import { execFileSync } from 'node:child_process'

/** Builds `dist/` once before the suite, so tests of the `teefn` binary run what users run. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
}
