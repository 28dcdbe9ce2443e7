import type { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'

export type UseRedisServerParameters = {
  /** Every test starts from an empty database (`FLUSHDB` before each). */
  isolate?: boolean | undefined
}

/**
 * The test file's Redis: starts a private `redis-server` and connects to it before its tests, disconnects and
 * stops it after them, and hands both to `ready` (e.g. `useRedisServer({}, (redis) => ({ connection } = redis))`).
 */
export function useRedisServer(
  { isolate = false }: UseRedisServerParameters,
  ready: (redis: { server: RedisServer; connection: Redis }) => unknown,
): void {
  let server: RedisServer | undefined
  let connection: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer()
    connection = createRedisConnection({ url: server.url })
    await ready({ server, connection })
  })
  afterAll(async () => {
    connection?.disconnect()
    await server?.stop()
  })
  if (isolate) {
    beforeEach(async () => {
      await connection!.flushdb()
    })
  }
}
