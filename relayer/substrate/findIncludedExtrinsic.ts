import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import { type ExtrinsicOutcome, readExtrinsicOutcome } from './readExtrinsicOutcome.js'

export type FindIncludedExtrinsicParameters = {
  /** Hash of the signed extrinsic. */
  txHash: Hex
  /** The best block when it was sent: it cannot be in an earlier one. */
  fromBlock: number
  /** At most this many blocks up to the best head are searched (the newest ones). */
  maxSearchBlocks: number
}

/**
 * The block of the canonical chain that included extrinsic `txHash`, searched from `fromBlock` (or the last
 * `maxSearchBlocks` blocks) to the best head, with its outcome; undefined when none did.
 */
export async function findIncludedExtrinsic(
  api: ApiPromise,
  { txHash, fromBlock, maxSearchBlocks }: FindIncludedExtrinsicParameters,
): Promise<ExtrinsicOutcome | undefined> {
  const head = (await api.rpc.chain.getHeader()).number.toNumber()
  for (let number = Math.max(fromBlock, head - maxSearchBlocks + 1); number <= head; number++) {
    const blockHash = (await api.rpc.chain.getBlockHash(number)).toHex()
    const outcome = await readExtrinsicOutcome(api, { blockHash, txHash })
    if (outcome) return outcome
  }
  return undefined
}
