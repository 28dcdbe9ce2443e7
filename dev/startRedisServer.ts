import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { BaseError } from '../runtime/errors/BaseError.js'
import { findFreePort } from './findFreePort.js'
import { terminateProcess } from './terminateProcess.js'

export type StartRedisServerParameters = {
  /**
   * Log every write to an append-only file (`appendfsync everysec`) in a private temp directory (removed by
   * `stop()`), so `restart()` keeps the data, as a production Redis with AOF does. Memory-only by default.
   */
  appendOnly?: boolean | undefined
}

export type RedisServer = {
  /** `redis://127.0.0.1:PORT`; stays the same across `restart()`. */
  url: string
  port: number
  /** PID of the running server; changes on restart. */
  readonly pid: number
  /**
   * Stops the server (SIGKILL by default: a crash, in the middle of whatever it does; SIGTERM: a clean shutdown)
   * and starts it again on the same port after `downtimeMs`. With `appendOnly` it comes back with its data;
   * without, empty.
   */
  restart(options?: {
    signal?: 'SIGKILL' | 'SIGTERM'
    downtimeMs?: number
    from?: RedisDataCopy
  }): Promise<void>
  /**
   * With `appendOnly`: a copy of the AOF as it is now. `restart({ from })` then brings the server back with only
   * what was written up to the copy, as after a power loss (`everysec` loses up to a second) or a failover to a
   * replica that lagged behind.
   */
  copyData(): Promise<RedisDataCopy>
  /** Stops the server by its own PID (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>
}

export class RedisServerMissingError extends BaseError {
  override name = 'RedisServerMissingError'
  constructor() {
    super('redis-server is not installed.', {
      code: 'REDIS_SERVER_MISSING',
      hint: 'Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), or set REDIS_URL to a running Redis.',
    })
  }
}

/** A copy of a server's AOF (see `RedisServer.copyData`). */
export type RedisDataCopy = { readonly path: string }

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts a private `redis-server` on 127.0.0.1 and a free port, and resolves once it answers PING. Memory-only
 * (nothing written to disk) unless `appendOnly`.
 */
export async function startRedisServer({
  appendOnly = false,
}: StartRedisServerParameters = {}): Promise<RedisServer> {
  if (!hasRedisServer()) throw new RedisServerMissingError()
  const dir = appendOnly ? await mkdtemp(join(tmpdir(), 'teefn-redis-')) : undefined
  const removeDir = () => (dir ? rm(dir, { recursive: true, force: true }) : undefined)
  let copies = 0
  const persistence = dir
    ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec']
    : ['--appendonly', 'no']
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort()
    const url = `redis://127.0.0.1:${port}`
    const launch = async () => {
      const started = spawnServer([...persistence, '--port', String(port)])
      if (await answersPing(url, started.child)) return started.child
      await terminateProcess(started.child, 3_000)
      throw new BaseError(`redis-server did not start on port ${port}.`, {
        code: 'REDIS_SERVER_START_FAILED',
        details: started.output(),
        hint: 'Its output is in the details; or set REDIS_URL to a running Redis to use that one instead.',
      })
    }
    let child: ChildProcess
    try {
      child = await launch()
    } catch (error) {
      // Another process may have taken the port between the check and the start: try another.
      if (attempt >= 3) {
        await removeDir()
        throw error
      }
      continue
    }
    stopOnExit(child)
    return {
      url,
      port,
      get pid() {
        return child.pid!
      },
      async restart({ signal = 'SIGKILL', downtimeMs = 0, from } = {}) {
        await terminateProcess(child, 3_000, signal)
        if (from && dir) {
          await rm(join(dir, 'appendonlydir'), { recursive: true, force: true })
          await cp(from.path, join(dir, 'appendonlydir'), { recursive: true })
        }
        if (downtimeMs) await sleep(downtimeMs)
        child = await launch()
        stopOnExit(child)
      },
      async copyData() {
        if (!dir) {
          throw new BaseError('copyData needs a server started with appendOnly.', {
            code: 'REDIS_SERVER_NOT_APPEND_ONLY',
            hint: 'Start it with startRedisServer({ appendOnly: true }).',
          })
        }
        // Append-only: a copy taken while it writes is a prefix of it (a torn last command is dropped on load).
        const path = join(dir, `copy-${copies++}`)
        await cp(join(dir, 'appendonlydir'), path, { recursive: true })
        return { path }
      },
      async stop() {
        await terminateProcess(child, 3_000)
        await removeDir()
      },
    }
  }
}

function spawnServer(options: string[]): { child: ChildProcess; output(): string } {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--save', '', '--loglevel', 'warning', ...options],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, output: () => output }
}

async function answersPing(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && child.exitCode === null) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      if ((await client.ping()) === 'PONG') return true
    } catch {
      await sleep(25)
    } finally {
      client.disconnect()
    }
  }
  return false
}

const running = new Set<ChildProcess>()

/** A server left running when Node exits (a crashed test, Ctrl-C) is killed with it. */
function stopOnExit(child: ChildProcess): void {
  if (running.size === 0 && process.listenerCount('exit') < 50) {
    process.once('exit', () => {
      for (const server of running) server.kill('SIGKILL')
    })
  }
  running.add(child)
  child.once('exit', () => running.delete(child))
}
