import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { readBlock } from './readBlock.js'
import type { SubstrateBlock, SubstrateTrigger } from './SubstrateTrigger.js'

/** A request as found on-chain: what a result must answer. */
export type OnChainRequest = Omit<RequestJobData, 'seenAt'> & {
  blockHash: Hex
  blockNumber: number
  canonical: boolean
}

export type FindOnChainRequestParameters = {
  trigger: SubstrateTrigger
  /** The genesis hash. */
  chainId: Hex
  /** Where a result says its request was seen. */
  reference: { blockHash: Hex; extrinsicIndex: number }
  requestId: Hex
  /** Blocks read before, by hash (undefined: unreadable), shared by the results of one extrinsic. */
  blocks?: Map<Hex, SubstrateBlock | undefined> | undefined
}

/**
 * The request a result names, read again from the chain: the request the trigger finds at the referenced
 * extrinsic with the result's requestId, and whether its block is on the canonical chain; undefined when the
 * block is unknown or holds no such request.
 */
export async function findOnChainRequest(
  api: ApiPromise,
  { trigger, chainId, reference, requestId, blocks = new Map() }: FindOnChainRequestParameters,
): Promise<OnChainRequest | undefined> {
  let block = blocks.get(reference.blockHash)
  if (!blocks.has(reference.blockHash)) {
    block = await readBlock(api, reference.blockHash, chainId).catch(() => undefined)
    blocks.set(reference.blockHash, block)
  }
  if (!block) return undefined
  const found = trigger
    .scan(block)
    .find(
      (candidate) =>
        candidate.kind === 'request' &&
        candidate.extrinsicIndex === reference.extrinsicIndex &&
        candidate.request.requestId.toLowerCase() === requestId.toLowerCase(),
    )
  if (found?.kind !== 'request') return undefined
  const canonical = await api.rpc.chain
    .getBlockHash(block.number)
    .then((hash) => hash.toHex() === block.hash)
    .catch(() => false)
  return { ...found.request, blockHash: block.hash, blockNumber: block.number, canonical }
}
