import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { DeliveryJobData, RequestJobData } from './jobs.js'
import type { ChainRef } from './names.js'
import { openDeliveryQueue, queueNameOf } from './queues.js'

/** Where a chain job's signed envelope is on its way to the chain. */
export type DeliveryView = {
  /**
   * queued: waiting for the submitter; sending: in a transaction not yet mined; retrying: an attempt failed and
   * another is scheduled; delivered: mined (EVM) or included (Substrate); already_delivered: found answered on
   * chain, nothing sent; rerun: refused because the chain moved on (code upgraded, worker expired), so the request
   * runs again; refused: refused for good (`reason` says why).
   */
  state: 'queued' | 'sending' | 'retrying' | 'delivered' | 'already_delivered' | 'rerun' | 'refused'
  attempts: number
  transactionHash?: string | undefined
  blockNumber?: number | undefined
  blockHash?: string | undefined
  /** Why it was refused, or why it runs again (the consumer's reason, the first line of the error). */
  reason?: string | undefined
  /** For a rerun: the run number of the request job queued anew. */
  run?: number | undefined
}

export type DeliveryReader = {
  /**
   * The delivery of a chain request job, read from its chain's delivery queue (the delivery keeps the request's
   * job id). Undefined for HTTP jobs, and before the worker has signed.
   */
  read(parameters: {
    jobId: string
    request: Pick<RequestJobData, 'trigger' | 'chainId'>
  }): Promise<DeliveryView | undefined>
  /** Closes the delivery queues it opened (not the connection). */
  close(): Promise<void>
}

/** Reads deliveries over `connection`, opening each chain's delivery queue once, on its first read. */
export function createDeliveryReader(connection: Redis): DeliveryReader {
  const queues = new Map<string, Queue<DeliveryJobData>>()
  const queueOf = (chain: ChainRef) => {
    const name = queueNameOf(chain)
    let queue = queues.get(name)
    if (!queue) {
      queue = openDeliveryQueue(connection, chain)
      queues.set(name, queue)
    }
    return queue
  }
  return {
    async read({ jobId, request }) {
      if (request.trigger !== 'evm' && request.trigger !== 'substrate') return undefined
      const job = await queueOf({ family: request.trigger, chainId: request.chainId }).getJob(jobId)
      if (!job) return undefined
      const state = await job.getState()
      const attempts = job.attemptsMade
      if (state === 'completed') return { ...completedView(job.returnvalue), attempts }
      if (state === 'failed') return { state: 'refused', attempts, reason: job.failedReason?.split('\n')[0] }
      if (state === 'active') return { state: 'sending', attempts }
      if (state === 'delayed' && attempts > 0) {
        return { state: 'retrying', attempts, reason: job.failedReason?.split('\n')[0] }
      }
      return { state: 'queued', attempts }
    },
    async close() {
      const open = [...queues.values()]
      queues.clear()
      await Promise.all(open.map((queue) => queue.close()))
    },
  }
}

/** The submitters' results, read by shape: EVM `{ outcome, transactionHash, blockNumber }`, Substrate receipts. */
function completedView(result: unknown): Omit<DeliveryView, 'attempts'> {
  const value = (result ?? {}) as {
    outcome?: string
    transactionHash?: string
    blockNumber?: number
    blockHash?: string
    alreadyDelivered?: boolean
    reason?: string
    run?: number
  }
  if (value.outcome === 'rerun') return { state: 'rerun', reason: value.reason, run: value.run }
  const already = value.outcome === 'alreadyFulfilled' || value.alreadyDelivered === true
  return {
    state: already ? 'already_delivered' : 'delivered',
    transactionHash: value.transactionHash,
    blockNumber: value.blockNumber,
    blockHash: value.blockHash,
  }
}
