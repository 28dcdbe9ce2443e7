import type { ApiPromise } from '@polkadot/api'
import type { EventRecord } from '@polkadot/types/interfaces'
import type { Hex } from '../../runtime/bytes.js'
import type { SubstrateBlock } from './SubstrateTrigger.js'

/**
 * Reads a block and its events, decoded with the metadata of that block (`api.at`), so blocks from before a
 * runtime upgrade are read right.
 */
export async function readBlock(api: ApiPromise, hash: Hex, chainId: Hex): Promise<SubstrateBlock> {
  const [signed, apiAt] = await Promise.all([api.rpc.chain.getBlock(hash), api.at(hash)])
  const events = (await apiAt.query.system.events()) as unknown as EventRecord[]
  const { header, extrinsics } = signed.block
  return {
    chainId,
    number: header.number.toNumber(),
    hash,
    parentHash: header.parentHash.toHex(),
    extrinsics,
    events: [...events],
  }
}
