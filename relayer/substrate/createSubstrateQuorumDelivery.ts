import { UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import { tallySubstrateAnswers } from '../../runtime/chain/substrate/judgeSubstrateQuorum.js'
import { maxQuorumEnvelopes } from '../../runtime/chain/substrate/remarkProtocol.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import {
  createQuorumGatherer,
  type GatherReturnType,
  type QuorumGathererSettings,
} from '../shared/createQuorumGatherer.js'
import type { SubstrateStateStore } from './createSubstrateStateStore.js'
import type { DeliveryReceipt } from './DeliveryReceipt.js'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'

/** A chain's result quorum, as the operator pins it (`substrate[].resultQuorum`). */
export type SubstrateResultQuorum = {
  /** k: distinct workers that must agree. */
  threshold: number
  /** sr25519 public keys whose envelopes count; this node's own worker counts too. */
  workers: readonly string[]
  /** A request not answered this long after it was seen is given up; 10 minutes by default. */
  timeoutMs?: number | undefined
}

export type CreateSubstrateQuorumDeliveryParameters = QuorumGathererSettings &
  SubstrateResultQuorum & {
    connection: Redis
    /** The chain's genesis hash: envelopes for another chain never count. */
    chainId: string
    /** The delivered index: what the submitter and the watcher know to be on-chain already. */
    store: Pick<SubstrateStateStore, 'getDelivered'>
    /** Sends one delivery (the submitter's batcher: nonces, in-flight markers, inclusion). */
    send: (data: SubstrateDeliveryData) => Promise<DeliveryReceipt>
    logger?: Logger | undefined
  }

export type SubstrateQuorumDeliveryResult = GatherReturnType<DeliveryReceipt>

/**
 * The Substrate side of a result quorum (docs/protocol.md, "6.x Substrate"): the gatherer
 * (`createQuorumGatherer`) collects this worker's and the peers' envelopes; one counts when it answers the same
 * request, function, payload and code for this chain and requester, verifies, and is signed by this node's worker
 * or a pinned one; k of them agreeing (`tallySubstrateAnswers`) is the quorum; the submit order is over this
 * node's worker and the pinned set; the submission is one quorum result remark with the agreeing envelopes first
 * and the dissenting ones after. The request is open until the delivered index (this submitter, or the watcher
 * that saw another node's valid quorum result) knows it answered, and given up `timeoutMs` after it was seen.
 */
export function createSubstrateQuorumDelivery({
  connection,
  chainId,
  store,
  send,
  threshold,
  workers,
  timeoutMs = 600_000,
  logger,
  ...settings
}: CreateSubstrateQuorumDeliveryParameters) {
  const gatherer = createQuorumGatherer({ ...settings, connection, logger })
  const pinned = workers.map((worker) => worker.toLowerCase())

  const isOpen = async ({ envelope, request }: DeliveryJobData): Promise<boolean> => {
    const [done] = await store.getDelivered([envelope.requestId])
    if (done) return false
    if (Date.now() > request.seenAt + timeoutMs) {
      throw new UnrecoverableError(
        `No quorum was delivered for request ${envelope.requestId}: it was seen more than ${Math.round(timeoutMs / 1000)} s ago.`,
      )
    }
    return true
  }

  return {
    async deliver(data: DeliveryJobData): Promise<SubstrateQuorumDeliveryResult> {
      const own = data.envelope
      const allowed = new Set([own.worker.toLowerCase(), ...pinned])
      return gatherer.gather({
        own,
        members: async () => [...allowed],
        counts: (item) => allowed.has(item.worker.toLowerCase()) && answersSameQuestion(item, own, chainId),
        reached: (held) => tallySubstrateAnswers(held, threshold).reached,
        isOpen: () => isOpen(data),
        submit: (held) => send({ ...data, quorum: { envelopes: agreeingFirst(held, threshold) } }),
      })
    },
    close: () => gatherer.close(),
  }
}

/** The agreeing envelopes, then the dissenting ones (so the remark names them), at most 32. */
function agreeingFirst(held: readonly Envelope[], threshold: number): Envelope[] {
  const { agreeing } = tallySubstrateAnswers(held, threshold)
  const dissenting = held.filter((_, index) => !agreeing.includes(index))
  return [...agreeing.map((index) => held[index]!), ...dissenting].slice(0, maxQuorumEnvelopes)
}

/** Same chain, requester, request, function, payload and code as ours. */
function answersSameQuestion(item: Envelope, own: Envelope, chainId: string): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
  return (
    item.family === 'substrate' &&
    same(item.chainId, chainId) &&
    same(item.destination, own.destination) &&
    same(item.requestId, own.requestId) &&
    same(item.functionId, own.functionId) &&
    same(item.payloadHash, own.payloadHash) &&
    same(item.codeHash, own.codeHash)
  )
}
