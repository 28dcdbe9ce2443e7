import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { BaseError } from '../runtime/errors/BaseError.js'
import { findFreePort } from './findFreePort.js'
import { terminateProcess } from './terminateProcess.js'

export type RedisServer = {
  /** `redis://127.0.0.1:PORT` */
  url: string
  port: number
  pid: number
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

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts a private, memory-only `redis-server` on 127.0.0.1 and a free port, and resolves once it answers
 * PING. Nothing is written to disk.
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!hasRedisServer()) throw new RedisServerMissingError()
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort()
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output = (output + chunk).slice(-4000)
    })
    child.stderr?.on('data', (chunk) => {
      output = (output + chunk).slice(-4000)
    })
    const url = `redis://127.0.0.1:${port}`
    if (await answersPing(url, child)) {
      stopOnExit(child)
      return { url, port, pid: child.pid!, stop: () => terminateProcess(child, 3_000) }
    }
    await terminateProcess(child, 3_000)
    // Another process may have taken the port between the check and the start: try another.
    if (attempt >= 3)
      throw new BaseError(`redis-server did not start on port ${port}.`, {
        code: 'REDIS_SERVER_START_FAILED',
        details: output,
        hint: 'Its output is in the details; or set REDIS_URL to a running Redis to use that one instead.',
      })
  }
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
