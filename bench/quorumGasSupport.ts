/**
 * Gas of `fulfillQuorum` on a real anvil with the example PriceOracle (hook gas bound 200 000), for k = 1, 2, 3
 * and 5 agreeing signers under `Identical` and `MedianUint256`, a 3-of-4 with one dissenter, and the single-envelope
 * `fulfill` at k = 1 for comparison. Every number is a steady state (the price slots were written before).
 */
import { Wallet } from 'ethers'
import { teefnDomain } from '../contracts/fulfillmentTypedData.js'
import {
  AGGREGATIONS,
  type Aggregation,
  buildQuorumEnvelope,
  compareAddresses,
} from '../contracts/quorumFulfillment.js'
import { startAnvil } from '../dev/startAnvil.js'
import { deployTeefnContracts, encodePrice, mined, testKey } from '../test/support/teefnContracts.js'

export type QuorumGas = {
  hookGasLimit: number
  fulfillSingleK1: number
  fulfillQuorumIdentical: Record<string, number>
  fulfillQuorumMedianUint256: Record<string, number>
  identical3of4WithDissent: number
}

/** Measures on an anvil of its own, stopped before it returns. */
export async function measureQuorumGas(): Promise<QuorumGas> {
  const anvil = await startAnvil()
  const f = await deployTeefnContracts(anvil)
  try {
    const workers = [1, 2, 3, 4, 5]
      .map((i) => new Wallet(testKey(`quorum worker ${i}`)))
      .sort((a, b) => compareAddresses(a.address, b.address))
    const expiresAt = BigInt((await f.provider.getBlock('latest'))!.timestamp) + 86_400n
    for (const worker of workers) {
      await mined(f.registry.connect(f.admin).admitWorker(worker.address, testKey('quote'), expiresAt))
    }
    const oracle = f.oracle.connect(f.relayer)
    const domain = teefnDomain(f.chainId, await f.oracle.getAddress())

    async function setPolicy(threshold: number, aggregation: Aggregation) {
      await mined(
        f.registry
          .connect(f.functionOwner)
          .setResultPolicy(f.functionId, threshold, AGGREGATIONS.indexOf(aggregation)),
      )
    }

    // Each answer moves the price, so every run writes the price slot alike (no same-value store discount).
    let offset = 0n

    /** Gas of one `fulfillQuorum` whose answers carry `prices` (one per worker, in worker order), all offset anew. */
    async function quorumGas(base: bigint[]): Promise<number> {
      offset += 1_000n
      const prices = base.map((price) => price + offset)
      const requestId = await f.requestPrice()
      const envelopes = await Promise.all(
        prices.map((price, i) => f.sign({ requestId, result: encodePrice(price) }, { signer: workers[i]! })),
      )
      const { envelope } = buildQuorumEnvelope(domain, envelopes)
      return Number((await mined(oracle.fulfillQuorum(envelope))).gasUsed)
    }

    // Writes the price slots from zero once, so every number below is a steady state.
    await mined(oracle.fulfill(await f.sign({ requestId: await f.requestPrice(), result: encodePrice(1n) })))
    const fulfillSingle = Number(
      (
        await mined(
          oracle.fulfill(await f.sign({ requestId: await f.requestPrice(), result: encodePrice(2n) })),
        )
      ).gasUsed,
    )

    const identical: Record<string, number> = {}
    const median: Record<string, number> = {}
    for (const k of [1, 2, 3, 5]) {
      await setPolicy(k, 'Identical')
      identical[`k${k}`] = await quorumGas(Array(k).fill(100n))
      await setPolicy(k, 'MedianUint256')
      median[`k${k}`] = await quorumGas(Array.from({ length: k }, (_, i) => 100n + BigInt((i * 7) % 5)))
    }
    await setPolicy(3, 'Identical')
    const identical3of4WithDissent = await quorumGas([100n, 100n, 999n, 100n])

    return {
      hookGasLimit: 200_000,
      fulfillSingleK1: fulfillSingle,
      fulfillQuorumIdentical: identical,
      fulfillQuorumMedianUint256: median,
      identical3of4WithDissent,
    }
  } finally {
    f.destroy()
    await anvil.stop()
  }
}
