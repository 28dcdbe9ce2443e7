import { Redis, type RedisOptions } from 'ioredis'

export type CreateRedisConnectionParameters = {
  /** `redis://host:port/db`; `REDIS_URL` in production. */
  url: string
  options?: RedisOptions | undefined
}

/**
 * A Redis connection for BullMQ and the stores. `maxRetriesPerRequest: null` is what BullMQ workers
 * require: commands wait for a reconnect instead of failing a job because Redis blinked.
 */
export function createRedisConnection({ url, options }: CreateRedisConnectionParameters): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options })
}
