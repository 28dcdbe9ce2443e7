import { spawnSync } from 'node:child_process'
import { hasRedisServer, RedisServerMissingError } from './startRedisServer.js'

/**
 * Makes sure `redis-server` is installed: on a Debian-like machine where we may use apt-get (as root,
 * or with password-less sudo) it installs the `redis-server` package; otherwise it throws an error that
 * says exactly how to install it.
 */
export function ensureRedisServer({
  log = (line: string): void => void process.stderr.write(`${line}\n`),
} = {}): void {
  if (hasRedisServer()) return
  const asRoot = process.getuid?.() === 0
  const sudo = !asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
  const aptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (aptGet && (asRoot || sudo)) {
    log('redis-server is missing: installing it with apt-get (once)...')
    const run = (args: string[]) => {
      const [file, ...rest] = asRoot ? args : ['sudo', '-n', ...args]
      spawnSync(file!, rest, {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      })
    }
    run(['apt-get', 'update', '-qq'])
    run(['apt-get', 'install', '-y', '-qq', 'redis-server'])
    if (hasRedisServer()) return
  }
  throw new RedisServerMissingError()
}
