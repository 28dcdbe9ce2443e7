import { setTimeout as sleep } from 'node:timers/promises'
import type { Queue } from 'bullmq'
import type { EnvelopeStruct } from '../../contracts/contractTypes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { statusCode } from '../../runtime/resultStatus.js'
import type { StackChain } from './startTeefnStack.js'

/** Waits until `check` gives a value (not undefined or false) and returns it; an error after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

/** The job `jobId` of `queue` once it completed or failed for good. */
export async function settledJob<Q extends Queue>(
  queue: Q,
  jobId: string,
  timeoutMs = 30_000,
): Promise<NonNullable<Awaited<ReturnType<Q['getJob']>>>> {
  return until(
    `job ${jobId} to complete or fail`,
    async () => {
      const state = await queue.getJobState(jobId)
      if (state !== 'completed' && state !== 'failed') return undefined
      return (await queue.getJob(jobId)) as NonNullable<Awaited<ReturnType<Q['getJob']>>>
    },
    timeoutMs,
  )
}

/** An envelope as `fulfill` takes it. */
export function envelopeStructOf(envelope: Envelope): EnvelopeStruct {
  return {
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status: statusCode(envelope.status),
    result: envelope.result,
    signature: envelope.signature,
  }
}

/** Transactions the stack's submitter has sent on `chain` (its account's nonce: refused envelopes cost none). */
export async function submitterTransactions(chain: StackChain): Promise<number> {
  return chain.f.provider.getTransactionCount(chain.f.relayer.address, 'latest')
}

/** The text of a result the consumer stored (0x-hex of UTF-8). */
export function textOf(hex: string): string {
  return Buffer.from(hex.slice(2), 'hex').toString('utf8')
}

/** The `RequestFulfilled` events of `requestId` on the chain's test consumer (the hook may not store a long result). */
export async function fulfilmentsOf(
  chain: StackChain,
  requestId: string,
): Promise<{ worker: string; status: bigint; resultHash: string; transactionHash: string }[]> {
  const { consumer } = chain
  const logs = await chain.f.provider.getLogs({
    address: chain.consumerAddress,
    topics: [consumer.interface.getEvent('RequestFulfilled')!.topicHash, requestId],
    fromBlock: 0,
  })
  return logs.map((log) => {
    const { args } = consumer.interface.parseLog(log)!
    return {
      worker: args.worker as string,
      status: args.status as bigint,
      resultHash: args.resultHash as string,
      transactionHash: log.transactionHash,
    }
  })
}
