import { AbiCoder } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../../dev/startAnvil.js'
import { type Hex, hexToBytes } from '../../runtime/bytes.js'
import { createRpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import { useDevWorkers } from '../../test/support/devWorkers.js'
import { type QuorumSetup, setUpQuorum } from '../../test/support/quorumSetup.js'
import { mined, type TeefnContractsFixture, testKey } from '../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createGasPlanner } from './createGasPlanner.js'
import { createTransactionSender } from './createTransactionSender.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'
import { sendQuorumFulfilment } from './sendQuorumFulfilment.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let q: QuorumSetup
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ anvil, f } = chain)
  q = await setUpQuorum(f)
})

const price = AbiCoder.defaultAbiCoder().encode(['uint256'], [3001n])
const workers = useDevWorkers('a', 'b', 'c')

/** Admits the dev workers and has them answer a new request, as the nodes' workers would. */
async function answers(count: number) {
  await q.setPolicy(2)
  const request = await q.request()
  const signers = [workers.a, workers.b, workers.c].slice(0, count)
  const expiresAt = BigInt((await f.provider.getBlock('latest'))!.timestamp) + 3_600n
  for (const worker of signers) {
    await mined(
      f.registry.connect(f.admin).admitWorker(worker.publicKeys.evmAddress, testKey('quote'), expiresAt),
    )
  }
  return Promise.all(
    signers.map((worker) =>
      signEnvelope(worker, {
        family: 'evm',
        chainId: f.chainId,
        destination: q.consumerAddress as Hex,
        requestId: request.requestId as Hex,
        functionId: f.functionId as Hex,
        payloadHash: request.payloadHash as Hex,
        codeHash: f.codeHash as Hex,
        status: 'OK',
        result: hexToBytes(price)!,
      }),
    ),
  )
}

/** The submitter's side: one account, its gas planner. */
function submitter() {
  const rpc = createRpcClient({ url: anvil.rpcUrl })
  const transactions = createTransactionSender({
    rpc,
    privateKey: anvil.privateKeys[9]!,
    chainId: BigInt(anvil.chainId),
  })
  return { rpc, transactions, gas: createGasPlanner({ rpc, from: transactions.address }) }
}

describe('sendQuorumFulfilment', () => {
  it('leaves out the answer of a worker removed since it answered, and delivers the others', async () => {
    const envelopes = await answers(3)
    const [kept, removed, other] = envelopes
    await mined(f.registry.connect(f.admin).removeWorker(removed!.worker))
    const { rpc, transactions, gas } = submitter()
    try {
      const sent = await sendQuorumFulfilment({
        transactions,
        gas,
        destination: q.consumerAddress,
        envelopes,
      })
      expect(sent.outcome).toBe('fulfilled')
      expect(
        sent.outcome === 'fulfilled' && sent.signers.map((signer) => signer.toLowerCase()).sort(),
      ).toEqual([kept!, other!].map((envelope) => envelope.worker.toLowerCase()).sort())
      expect(await q.consumer.lastResult()).toBe(price)
    } finally {
      rpc.close()
    }
  })

  it('refuses (nothing sent) when too few active answers remain', async () => {
    const envelopes = await answers(2)
    await mined(f.registry.connect(f.admin).removeWorker(envelopes[1]!.worker))
    const { rpc, transactions, gas } = submitter()
    try {
      const before = await f.provider.getTransactionCount(transactions.address)
      const refused = sendQuorumFulfilment({ transactions, gas, destination: q.consumerAddress, envelopes })
      await expect(refused).rejects.toBeInstanceOf(DeliveryRejectedError)
      await expect(refused).rejects.toThrow(/QuorumNotReached/)
      expect(await f.provider.getTransactionCount(transactions.address)).toBe(before)
    } finally {
      rpc.close()
    }
  })
})
