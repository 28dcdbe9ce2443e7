import { setTimeout as sleep } from 'node:timers/promises'
import type { Result } from 'ethers'
import type { Hex } from '../../runtime/bytes.js'
import { countFulfilTransactions, requestFulfilledTopic } from './countFulfilTransactions.js'
import type { QuorumNode } from './startQuorumNodes.js'
import {
  eventsNamed,
  mined,
  sentRequestsOf,
  type TeefnContractsFixture,
  type TestConsumerContract,
} from './teefnContracts.js'

export type QuorumConsumerRequestsParameters = {
  f: TeefnContractsFixture
  consumer: TestConsumerContract
  /** The nodes whose submitters' transactions are counted. */
  nodes: () => readonly QuorumNode[]
}

/**
 * A TestConsumer's requests through a network of quorum nodes, as the quorum tests watch them: send one, wait for
 * the transaction that fulfilled it (who sent it, the signers and dissenters its events name), and count from the
 * chain alone every fulfil transaction the nodes paid for (reverted ones too).
 */
export function quorumConsumerRequests({ f, consumer, nodes }: QuorumConsumerRequestsParameters) {
  const address = () => consumer.getAddress()
  return {
    async request(functionId: Hex) {
      const receipt = await mined(consumer.connect(f.oracleOwner).request(functionId, '0x'))
      return { ...sentRequestsOf(receipt, await address())[0]!, block: receipt.blockNumber, at: Date.now() }
    },

    /** The transaction that fulfilled `requestId`, once there is one. */
    async fulfilment(requestId: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const [log] = await f.provider.getLogs({
          address: await address(),
          topics: [requestFulfilledTopic, requestId],
          fromBlock: 0,
        })
        if (log) {
          const receipt = (await f.provider.getTransactionReceipt(log.transactionHash))!
          const transaction = (await f.provider.getTransaction(log.transactionHash))!
          const named = (event: string) => eventsNamed(receipt, consumer, event)[0]?.args
          return {
            at: Date.now(),
            from: transaction.from,
            signers: named('QuorumReached')?.signers as string[] | undefined,
            dissenters: named('QuorumDissent')?.dissenters as string[] | undefined,
            fulfilled: named('RequestFulfilled') as Result | undefined,
          }
        }
        if (Date.now() > deadline)
          throw new Error(`request ${requestId} was not fulfilled in ${timeoutMs} ms`)
        await sleep(50)
      }
    },

    /** Fulfil transactions every node's submitter sent to the consumer since `fromBlock` (reverted ones too). */
    async fulfilTransactions(fromBlock: number) {
      let transactions = 0
      let fulfilled = 0
      for (const node of nodes()) {
        const count = await countFulfilTransactions({
          provider: f.provider,
          destination: await address(),
          relayer: node.submitter,
          fromBlock,
        })
        transactions += count.transactions
        for (const n of count.fulfilments.values()) fulfilled += n
      }
      return { transactions, fulfilled }
    },
  }
}
