import { setTimeout as sleep } from 'node:timers/promises'
import { UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Aggregation } from '../../contracts/quorumFulfillment.js'
import { tallyQuorum } from '../../contracts/tallyQuorum.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { createQuorumEnvelopeStore } from '../../runtime/queue/createQuorumEnvelopeStore.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { statusCode } from '../../runtime/resultStatus.js'
import { createGasPlanner } from './createGasPlanner.js'
import type { TransactionSender } from './createTransactionSender.js'
import { encodeQuorumCalldata } from './encodeQuorumCalldata.js'
import { pushEnvelopeToPeers } from './pushEnvelopeToPeers.js'
import { readRequestState } from './readRequestState.js'
import { type SendQuorumFulfilmentReturnType, sendQuorumFulfilment } from './sendQuorumFulfilment.js'
import { submitterRank } from './submitterRank.js'

/** `ITeefnRegistry.Aggregation` by index, as `contracts/quorumFulfillment.ts` has it (that module loads ethers). */
const aggregations = ['Identical', 'MedianUint256', 'MedianInt256'] as const satisfies readonly Aggregation[]

export type QuorumSettings = {
  /** The other nodes' API base URLs. */
  peers: readonly string[]
  /** The node ranked r waits r × this before it submits; 5 s by default. */
  failoverDelayMs?: number | undefined
  /** How often the envelopes held are tallied again; 200 ms by default. */
  pollIntervalMs?: number | undefined
  /** How long a node that reached the quorum waits for more envelopes before it takes its rank; 300 ms by default. */
  settleMs?: number | undefined
  /**
   * How long one attempt gathers before it gives its slot back (`waiting`: the caller delays the job and comes
   * back), so requests that never reach k do not hold the submitter's slots until their deadline; 10 s by default.
   */
  gatherWindowMs?: number | undefined
}

export type CreateQuorumDeliveryParameters = QuorumSettings & {
  connection: Redis
  rpc: RpcClient
  transactions: TransactionSender
  gasHeadroomPercent?: number | undefined
  receiptTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

export type QuorumDeliveryResult =
  | ((SendQuorumFulfilmentReturnType & { method?: 'fulfillQuorum' }) & {
      /** This node's turn among the signers it held when it acted. */
      rank?: number | undefined
    })
  /** Not k agreeing answers yet: try again later (never a job's final result). */
  | { outcome: 'waiting' }

/**
 * The node side of a result quorum (docs/protocol.md, section 6), for a delivery whose consumer demands k > 1:
 * keeps this worker's envelope, posts it to every peer, and tallies what it holds (its own and the peers') by the
 * consumer's rule (`tallyQuorum`). Once k agree, the node ranked r among the signers held waits r ×
 * failoverDelayMs, checks the request is still pending, and sends `fulfillQuorum` with every envelope it holds.
 * Fewer than k agreeing: nothing is sent, and the delivery fails for good once the request's deadline passes.
 */
export function createQuorumDelivery({
  connection,
  rpc,
  transactions,
  peers,
  failoverDelayMs = 5_000,
  pollIntervalMs = 200,
  settleMs = 300,
  gatherWindowMs = 10_000,
  gasHeadroomPercent,
  receiptTimeoutMs,
  logger,
}: CreateQuorumDeliveryParameters) {
  const store = createQuorumEnvelopeStore({ connection })
  const gas = createGasPlanner({
    rpc,
    from: transactions.address,
    headroomPercent: gasHeadroomPercent,
    logger,
  })

  /** The envelopes held that answer the very question ours answers, ours included. */
  const heldFor = async (own: Envelope) => {
    const ref = { chainId: own.chainId, consumer: own.destination, requestId: own.requestId }
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
    return (await store.list(ref)).filter(
      (item) =>
        same(item.functionId, own.functionId) &&
        same(item.payloadHash, own.payloadHash) &&
        same(item.codeHash, own.codeHash) &&
        statusCode(item.status) >= 0 &&
        signedByItsWorker(item),
    )
  }

  /** Whether the request can still be answered: throws when it was answered (by anyone) or can no longer be. */
  const stillOpen = async (own: Envelope): Promise<boolean> => {
    const { state, deadline, now } = await readRequestState(rpc, own.destination, own.requestId)
    if (state === 'Fulfilled' || state === 'FulfilledHookFailed') return false
    if (state !== 'Pending' || now > deadline) {
      throw new UnrecoverableError(
        `No quorum was delivered for request ${own.requestId}: it is ${state === 'Pending' ? 'past its deadline' : state}.`,
      )
    }
    return true
  }

  return {
    async deliver({ envelope: own, policy }: DeliveryJobData): Promise<QuorumDeliveryResult> {
      const aggregation = aggregations[policy?.aggregation ?? -1]
      const threshold = policy?.threshold ?? 1
      if (!aggregation) throw new UnrecoverableError(`Unknown aggregation ${policy?.aggregation}.`)
      const log = logger?.child({ requestId: own.requestId, k: threshold })
      await store.add(own)
      // Alongside the gathering: a slow peer must not hold this node's own tally back.
      void pushEnvelopeToPeers({ peers, envelope: own, logger: log })

      const tally = async () => {
        const held = await heldFor(own)
        const { signers, answers } = encodeQuorumCalldata(held)
        return { held, signers, tally: tallyQuorum({ aggregation, threshold, answers }) }
      }

      const gatherUntil = Date.now() + gatherWindowMs
      let checkedAt = 0
      for (;;) {
        if (Date.now() - checkedAt >= 1_000) {
          if (!(await stillOpen(own))) return { outcome: 'alreadyFulfilled' }
          checkedAt = Date.now()
        }
        const first = await tally()
        if (first.tally.reached) break
        if (Date.now() >= gatherUntil) return { outcome: 'waiting' }
        await sleep(pollIntervalMs)
      }
      // Quorum reached: take a turn among the signers held, re-ranked as late envelopes arrive.
      const reachedAt = Date.now()
      await sleep(settleMs)
      let current = await tally()
      let rank = submitterRank(own.requestId, own.worker, current.signers)
      while (Date.now() < reachedAt + settleMs + rank * failoverDelayMs) {
        await sleep(Math.min(pollIntervalMs * 5, reachedAt + settleMs + rank * failoverDelayMs - Date.now()))
        if (!(await stillOpen(own))) return { outcome: 'alreadyFulfilled', rank }
        current = await tally()
        rank = submitterRank(own.requestId, own.worker, current.signers)
      }
      if (!(await stillOpen(own))) return { outcome: 'alreadyFulfilled', rank }
      log?.info({ rank, signers: current.signers.length }, 'submitting the quorum')
      const sent = await sendQuorumFulfilment({
        transactions,
        gas,
        destination: own.destination,
        envelopes: current.held,
        receiptTimeoutMs,
      })
      return { ...sent, ...(sent.outcome === 'fulfilled' ? { method: 'fulfillQuorum' as const } : {}), rank }
    },
  }
}

/** Redis is not trusted: an envelope counts only if its signature recovers to the worker it names. */
function signedByItsWorker(envelope: Envelope): boolean {
  try {
    verifyParsedEnvelope(envelope)
    return true
  } catch {
    return false
  }
}
