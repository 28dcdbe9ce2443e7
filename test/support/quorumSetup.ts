import { Wallet } from 'ethers'
import type { Envelope, FulfillmentFields } from '../../contracts/fulfillmentTypedData.js'
import { teefnDomain } from '../../contracts/fulfillmentTypedData.js'
import {
  AGGREGATIONS,
  type Aggregation,
  buildQuorumEnvelope,
  compareAddresses,
} from '../../contracts/quorumFulfillment.js'
import {
  deployTestConsumer,
  mined,
  type SentRequest,
  sentRequestsOf,
  type TeefnContractsFixture,
  type TestConsumerContract,
  testKey,
} from './teefnContracts.js'

export type QuorumSetup = {
  /** Five admitted worker keys (for a day), ordered by ascending address. Test-only; never funded. */
  workers: Wallet[]
  /** A `TestConsumer` (hook gas 200 000, records the last result) on the fixture's registry. */
  consumer: TestConsumerContract
  consumerAddress: string
  /** Sets the price function's result policy as its owner. */
  setPolicy(threshold: number, aggregation?: Aggregation): Promise<void>
  /** A request for the price function on the consumer. */
  request(payload?: string): Promise<SentRequest>
  /** `worker`'s signed answer to `request` (status 0 by default). */
  answer(
    request: SentRequest,
    worker: Wallet,
    fields: Partial<Pick<FulfillmentFields, 'status' | 'result'>>,
  ): Promise<Envelope>
  /** The quorum envelope of `envelopes` (ordered by signer, as the consumer takes them). */
  quorum(envelopes: Envelope[]): ReturnType<typeof buildQuorumEnvelope>['envelope']
}

/**
 * Admits five more workers on `f`'s registry and deploys a `TestConsumer` for quorum tests. Call it in the
 * `useTeefnChain` ready callback, so snapshots (isolate) include it.
 */
export async function setUpQuorum(f: TeefnContractsFixture): Promise<QuorumSetup> {
  const workers = [1, 2, 3, 4, 5]
    .map((i) => new Wallet(testKey(`quorum worker ${i}`)))
    .sort((a, b) => compareAddresses(a.address, b.address))
  const expiresAt = BigInt((await f.provider.getBlock('latest'))!.timestamp) + 86_400n
  for (const [i, worker] of workers.entries()) {
    await mined(f.registry.connect(f.admin).admitWorker(worker.address, testKey(`quote ${i}`), expiresAt))
  }
  const consumer = await deployTestConsumer(f.admin, {
    registry: await f.registry.getAddress(),
    hookGasLimit: 200_000,
  })
  const consumerAddress = await consumer.getAddress()
  const domain = teefnDomain(f.chainId, consumerAddress)
  return {
    workers,
    consumer,
    consumerAddress,
    async setPolicy(threshold, aggregation = 'Identical') {
      const registry = f.registry.connect(f.functionOwner)
      await mined(registry.setResultPolicy(f.functionId, threshold, AGGREGATIONS.indexOf(aggregation)))
    },
    async request(payload = '0x') {
      const receipt = await mined(consumer.connect(f.admin).request(f.functionId, payload))
      return sentRequestsOf(receipt, consumerAddress)[0]!
    },
    answer(request, worker, fields) {
      return f.sign(
        { requestId: request.requestId, payloadHash: request.payloadHash, ...fields },
        { signer: worker, consumer: consumerAddress },
      )
    },
    quorum(envelopes) {
      return buildQuorumEnvelope(domain, envelopes).envelope
    },
  }
}
