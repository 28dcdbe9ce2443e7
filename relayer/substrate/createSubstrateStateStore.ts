import type { Redis } from 'ioredis'
import type { Hex } from '../../runtime/bytes.js'
import { queuePrefix } from '../../runtime/queue/names.js'

/** The last block a watcher has fully processed. */
export type Checkpoint = { number: number; hash: Hex }

/** Where a request's result is on-chain (written by the submitter after inclusion, and by the watcher). */
export type DeliveredRecord = {
  blockHash: Hex
  extrinsicIndex: number
  blockNumber?: number | undefined
  by: 'submitter' | 'watcher'
}

/** A delivery sent but not yet seen included: what a retry must resolve before sending again. */
export type InflightRecord = {
  nonce: number
  /** Hash of the signed extrinsic that carries the result. */
  txHash: Hex
  /** Best block number when it was sent: inclusion is searched from there. */
  sentAtBlock: number
  sentAt: number
}

export type SubstrateStateStore = {
  getCheckpoint(name: string): Promise<Checkpoint | undefined>
  setCheckpoint(name: string, checkpoint: Checkpoint): Promise<void>
  /** The delivered records of several requests, in order (undefined where none). */
  getDelivered(requestIds: readonly Hex[]): Promise<(DeliveredRecord | undefined)[]>
  /** Records delivered results; the first record of a request wins (it is the earliest one seen). */
  markDelivered(entries: readonly { requestId: Hex; record: DeliveredRecord }[]): Promise<void>
  getInflight(requestIds: readonly Hex[]): Promise<(InflightRecord | undefined)[]>
  setInflight(requestIds: readonly Hex[], record: InflightRecord): Promise<void>
  clearInflight(requestIds: readonly Hex[]): Promise<void>
}

export type CreateSubstrateStateStoreParameters = {
  redis: Redis
  /** Genesis hash: every key is per chain. */
  chainId: string
  /** How long delivered records are kept; 30 days by default (longer than any job is kept). */
  deliveredTtlSeconds?: number | undefined
}

const inflightTtlSeconds = 24 * 60 * 60

/**
 * The Substrate adapter's state in Redis, per chain: watcher checkpoints
 * (`teefn:substrate:<genesis>:checkpoint:<name>`), the index of delivered results
 * (`...:delivered:<requestId>`) that makes delivery exactly-once, and in-flight markers (`...:inflight:<requestId>`).
 */
export function createSubstrateStateStore({
  redis,
  chainId,
  deliveredTtlSeconds = 30 * 24 * 60 * 60,
}: CreateSubstrateStateStoreParameters): SubstrateStateStore {
  const base = `${queuePrefix}:substrate:${chainId.toLowerCase()}`
  const key = (kind: string, id: string) => `${base}:${kind}:${id.toLowerCase()}`
  const readAll = async <T>(kind: string, ids: readonly Hex[]): Promise<(T | undefined)[]> => {
    if (ids.length === 0) return []
    const values = await redis.mget(ids.map((id) => key(kind, id)))
    return values.map((value) => (value === null ? undefined : (JSON.parse(value) as T)))
  }
  return {
    async getCheckpoint(name) {
      const value = await redis.get(key('checkpoint', name))
      return value === null ? undefined : (JSON.parse(value) as Checkpoint)
    },
    async setCheckpoint(name, checkpoint) {
      await redis.set(key('checkpoint', name), JSON.stringify(checkpoint))
    },
    getDelivered: (ids) => readAll<DeliveredRecord>('delivered', ids),
    async markDelivered(entries) {
      if (entries.length === 0) return
      const multi = redis.multi()
      for (const { requestId, record } of entries) {
        multi.set(key('delivered', requestId), JSON.stringify(record), 'EX', deliveredTtlSeconds, 'NX')
      }
      await multi.exec()
    },
    getInflight: (ids) => readAll<InflightRecord>('inflight', ids),
    async setInflight(ids, record) {
      if (ids.length === 0) return
      const multi = redis.multi()
      for (const id of ids) multi.set(key('inflight', id), JSON.stringify(record), 'EX', inflightTtlSeconds)
      await multi.exec()
    },
    async clearInflight(ids) {
      if (ids.length > 0) await redis.del(...ids.map((id) => key('inflight', id)))
    },
  }
}
