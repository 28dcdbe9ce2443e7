import { execFileSync } from 'node:child_process'
import { ensureRedisServer } from '../../dev/ensureRedisServer.js'

/**
 * Before the suite: make sure redis-server is installed (tests spawn private ones), and build `dist/`
 * once so tests of the `teefn` binary run what users run. `TEEFN_SKIP_BUILD=1` skips the build when
 * iterating on code whose tests do not spawn the binary.
 */
export default function setup(): void {
  ensureRedisServer()
  if (process.env.TEEFN_SKIP_BUILD === '1') return
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
}
