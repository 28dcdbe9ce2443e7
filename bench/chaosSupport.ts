/** What the chaos benchmark records beside the chain: its faults, and peaks sampled while it runs. */
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { round } from './support.js'

/** One injected fault: when it started (seconds into the load) and how long it lasted. */
export type Fault = { name: string; at_s: number; duration_s: number } & Record<string, unknown>

export type Sampler = {
  peaks(): { redisPeakMb: number; workerPeakRssMb: number }
  stop(): void
}

/**
 * Samples Redis's `used_memory_peak` each second (a restart resets it, so the maximum of the samples is kept) and
 * the VmRSS of the worker processes (`pids`, read each time: a killed worker's successor has another) every 250 ms.
 */
export function startSampler({ redis, pids }: { redis: Redis; pids: () => number[] }): Sampler {
  let redisPeak = 0
  let rssPeak = 0
  const sampleRedis = async () => {
    const info = await redis.info('memory')
    const peak = Number(/used_memory_peak:(\d+)/.exec(info)?.[1] ?? 0)
    redisPeak = Math.max(redisPeak, peak)
  }
  const sampleRss = () => {
    for (const pid of pids()) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8')
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
        rssPeak = Math.max(rssPeak, kb * 1024)
      } catch {
        // Killed between the read of pids and this one.
      }
    }
  }
  let busy = false
  const redisTimer = setInterval(() => {
    if (busy) return // Redis is down: the sample waits for it
    busy = true
    sampleRedis()
      .catch(() => {})
      .finally(() => {
        busy = false
      })
  }, 1_000)
  const rssTimer = setInterval(sampleRss, 250)
  return {
    peaks: () => ({
      redisPeakMb: round(redisPeak / 2 ** 20, 2),
      workerPeakRssMb: round(rssPeak / 2 ** 20, 1),
    }),
    stop() {
      clearInterval(redisTimer)
      clearInterval(rssTimer)
    },
  }
}
