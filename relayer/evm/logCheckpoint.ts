import type { Redis } from 'ioredis'

export type CreateLogCheckpointParameters = {
  redis: Redis
  /** Decimal chain id; one checkpoint per chain. */
  chainId: string
  /** The Redis key; `teefn:checkpoint:evm-<chainId>` by default. */
  key?: string | undefined
}

export type LogCheckpoint = {
  readonly key: string
  /** The next block to scan (every block before it was enqueued), or undefined before the first scan. */
  get(): Promise<number | undefined>
  /** Moves the checkpoint to `nextBlock`; never backwards (a slower scan cannot undo a faster one). */
  advance(nextBlock: number): Promise<void>
}

// SET only when the key is missing or holds a smaller number.
const advanceScript = `
local current = tonumber(redis.call('GET', KEYS[1]))
local next = tonumber(ARGV[1])
if current == nil or next > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`

/**
 * Where the EVM watcher resumes after a restart: the first block it has not scanned yet, persisted in Redis
 * next to the queues. It moves only after every request of the blocks before it was enqueued.
 */
export function createLogCheckpoint({
  redis,
  chainId,
  key = `teefn:checkpoint:evm-${chainId}`,
}: CreateLogCheckpointParameters): LogCheckpoint {
  return {
    key,
    async get() {
      const value = await redis.get(key)
      return value === null ? undefined : Number(value)
    },
    async advance(nextBlock) {
      await redis.eval(advanceScript, 1, key, String(nextBlock))
    },
  }
}
