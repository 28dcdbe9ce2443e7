import type { JsonRpcProvider } from 'ethers'
import type { PriceOracleContract } from '../../contracts/contractTypes.js'
import { DemoError } from '../DemoError.js'
import { waitForReceipt } from '../waitForReceipt.js'

export type SentPriceRequest = { requestId: string; block: number; minedAt: number }

/** `requestPrice` from the oracle's owner; resolves once mined, with the request's id. */
export async function requestPrice(
  provider: JsonRpcProvider,
  oracle: PriceOracleContract,
  overrides: { nonce?: number } = {},
): Promise<SentPriceRequest> {
  const { hash } = await oracle.requestPrice('0x', overrides)
  const receipt = await waitForReceipt(provider, hash, { intervalMs: 20 })
  const minedAt = Date.now()
  const sent = receipt.logs
    .map((log) => oracle.interface.parseLog(log))
    .find((log) => log?.name === 'RequestSent')
  if (receipt.status !== 1 || !sent) throw new DemoError('The price request failed.', hash)
  return { requestId: sent.args.requestId as string, block: receipt.blockNumber, minedAt }
}

export type PriceFulfilment = {
  seenAt: number
  transactionHash: string
  /** The submitter that sent the fulfilment. */
  from: string
  signers: string[] | undefined
  dissenters: string[] | undefined
}

/** Polls for the `RequestFulfilled` of `requestId`; with the quorum's signers and dissenters when there are. */
export async function waitForFulfilment(
  provider: JsonRpcProvider,
  oracle: PriceOracleContract,
  request: SentPriceRequest,
  timeoutMs = 60_000,
): Promise<PriceFulfilment> {
  const topic = oracle.interface.getEvent('RequestFulfilled')!.topicHash
  const address = await oracle.getAddress()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [log] = await provider.getLogs({
      address,
      topics: [topic, request.requestId],
      fromBlock: request.block,
    })
    if (log) {
      const seenAt = Date.now()
      const receipt = (await provider.getTransactionReceipt(log.transactionHash))!
      const transaction = (await provider.getTransaction(log.transactionHash))!
      const events = receipt.logs.map((entry) => oracle.interface.parseLog(entry))
      const named = (name: string) =>
        events.find((event) => event?.name === name)?.args[1] as string[] | undefined
      return {
        seenAt,
        transactionHash: log.transactionHash,
        from: transaction.from,
        signers: named('QuorumReached') && [...named('QuorumReached')!],
        dissenters: named('QuorumDissent') && [...named('QuorumDissent')!],
      }
    }
    if (Date.now() > deadline)
      throw new DemoError('The request was not fulfilled in time.', request.requestId)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
