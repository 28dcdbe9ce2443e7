import type { Redis } from 'ioredis'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'

export type CreateRequestEnqueuerParameters = {
  /** BullMQ connection (see `createRedisConnection`). */
  connection: Redis
  /** How many job ids it remembers having added; 10 000 by default. */
  recentLimit?: number | undefined
}

export type RequestEnqueuer = {
  /**
   * Adds one job per request, with the request's job id (`requestJobId`), so a request seen twice is one job.
   * Ids it added lately are skipped without asking Redis, until the connection reconnects. Resolves with how
   * many it sent to Redis.
   */
  add(requests: readonly RequestJobData[]): Promise<number>
  /**
   * Removes a request's job unless a worker holds it (a reorg took its log back): false when it is locked, true
   * otherwise (also when there was none: BullMQ's `remove`).
   */
  remove(request: RequestJobData): Promise<boolean>
  /** Forgets the ids it added: after Redis lost its data, they must be added again. */
  forget(): void
  close(): Promise<void>
}

/**
 * Where watchers put requests: the request queue (`openRequestQueue`), with a bounded memory of the job ids
 * added lately. An add of an existing id is a no-op in Redis, but costs a script call per request, and scans
 * see the same requests again and again (backfill after the subscription, a rescan after a reorg).
 */
export function createRequestEnqueuer({
  connection,
  recentLimit = 10_000,
}: CreateRequestEnqueuerParameters): RequestEnqueuer {
  const queue = openRequestQueue(connection)
  const recent = new Set<string>()
  // Redis came back (a restart, a failover): it may have lost the last jobs added (AOF `everysec`, a lagging
  // replica) while its older checkpoint survived. The scans see those requests again; they must be added again.
  const onReconnect = () => recent.clear()
  connection.on('ready', onReconnect)
  const remember = (jobId: string) => {
    recent.add(jobId)
    if (recent.size > recentLimit) recent.delete(recent.values().next().value!)
  }
  return {
    async add(requests) {
      const fresh = requests
        .map((data) => ({ name: 'request', data, opts: { jobId: requestJobId(data) } }))
        .filter((job) => !recent.has(job.opts.jobId))
      if (fresh.length === 0) return 0
      await queue.addBulk(fresh)
      for (const job of fresh) remember(job.opts.jobId)
      return fresh.length
    },
    async remove(request) {
      const jobId = requestJobId(request)
      recent.delete(jobId)
      return (await queue.remove(jobId)) === 1
    },
    forget() {
      recent.clear()
    },
    close: () => {
      connection.off('ready', onReconnect)
      return queue.close()
    },
  }
}
