import { UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Aggregation } from '../../contracts/quorumFulfillment.js'
import { tallyQuorum } from '../../contracts/tallyQuorum.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { statusCode } from '../../runtime/resultStatus.js'
import { createPeerWorkers } from '../shared/createPeerWorkers.js'
import {
  createQuorumGatherer,
  type GatherReturnType,
  type QuorumGathererSettings,
} from '../shared/createQuorumGatherer.js'
import { createGasPlanner } from './createGasPlanner.js'
import type { TransactionSender } from './createTransactionSender.js'
import { readRequestState } from './readRequestState.js'
import { type SendQuorumFulfilmentReturnType, sendQuorumFulfilment } from './sendQuorumFulfilment.js'

/** `ITeefnRegistry.Aggregation` by index, as `contracts/quorumFulfillment.ts` has it (that module loads ethers). */
const aggregations = ['Identical', 'MedianUint256', 'MedianInt256'] as const satisfies readonly Aggregation[]

export type QuorumSettings = QuorumGathererSettings

export type CreateQuorumDeliveryParameters = QuorumSettings & {
  connection: Redis
  rpc: RpcClient
  transactions: TransactionSender
  gasHeadroomPercent?: number | undefined
  receiptTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

export type QuorumDeliveryResult = GatherReturnType<
  SendQuorumFulfilmentReturnType & { method?: 'fulfillQuorum' }
>

/**
 * The EVM side of a result quorum (docs/protocol.md, section 6), for a delivery whose consumer demands k > 1:
 * the gatherer (`createQuorumGatherer`) collects this worker's and the peers' envelopes; they count when they
 * answer the same question (the gatherer checks their signatures); the quorum is the consumer's rule
 * (`tallyQuorum`); the submit order is over this node's and the peers' attested worker addresses; the submission
 * is one `fulfillQuorum` with every envelope that counts. Fewer than k agreeing: nothing is sent, and the
 * delivery fails for good once the request's deadline passes.
 */
export function createQuorumDelivery({
  connection,
  rpc,
  transactions,
  peers,
  gasHeadroomPercent,
  receiptTimeoutMs,
  logger,
  ...settings
}: CreateQuorumDeliveryParameters) {
  const gatherer = createQuorumGatherer({ ...settings, connection, peers, logger })
  const peerWorkers = createPeerWorkers({ peers, key: 'evmAddress', logger })
  const gas = createGasPlanner({
    rpc,
    from: transactions.address,
    headroomPercent: gasHeadroomPercent,
    logger,
  })

  /** Whether the request can still be answered: throws when it can no longer be. */
  const isOpen = async (own: Envelope): Promise<boolean> => {
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
      return gatherer.gather({
        own,
        members: async () => [own.worker, ...(await peerWorkers.list())],
        counts: (item) => answersSameQuestion(item, own),
        // Whether k agree does not depend on the order: no calldata is built until there is something to send.
        reached: (held) =>
          tallyQuorum({
            aggregation,
            threshold,
            answers: held.map((item) => ({ status: statusCode(item.status), result: item.result })),
          }).reached,
        isOpen: () => isOpen(own),
        submit: async (held) => {
          const sent = await sendQuorumFulfilment({
            transactions,
            gas,
            destination: own.destination,
            envelopes: held,
            receiptTimeoutMs,
          })
          return { ...sent, ...(sent.outcome === 'fulfilled' ? { method: 'fulfillQuorum' as const } : {}) }
        },
      })
    },
    close: () => gatherer.close(),
  }
}

/** Same request, function, payload and code as ours, and a status the contract knows. */
function answersSameQuestion(item: Envelope, own: Envelope): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
  return (
    same(item.functionId, own.functionId) &&
    same(item.payloadHash, own.payloadHash) &&
    same(item.codeHash, own.codeHash) &&
    statusCode(item.status) >= 0
  )
}
