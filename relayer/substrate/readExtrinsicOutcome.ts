import type { ApiPromise } from '@polkadot/api'
import type { EventRecord } from '@polkadot/types/interfaces'
import type { SpRuntimeDispatchError } from '@polkadot/types/lookup'
import type { Hex } from '../../runtime/bytes.js'

export type ReadExtrinsicOutcomeParameters = {
  blockHash: Hex
  /** Hash of the signed extrinsic. */
  txHash: Hex
}

/** Where an extrinsic ran in its block and whether it failed. */
export type ExtrinsicOutcome = {
  blockHash: Hex
  /** The extrinsic's index in that block. */
  index: number
  /** `section.name` of the dispatch error when the extrinsic failed (a failed `batchAll` did nothing). */
  failed: string | undefined
}

/**
 * The outcome of the extrinsic `txHash` in block `blockHash`, read from the block and its events (decoded with
 * that block's metadata), or undefined when the block does not hold it. Events are read only for a block that
 * does, so a search over many blocks costs one call per block.
 */
export async function readExtrinsicOutcome(
  api: ApiPromise,
  { blockHash, txHash }: ReadExtrinsicOutcomeParameters,
): Promise<ExtrinsicOutcome | undefined> {
  const block = await api.rpc.chain.getBlock(blockHash)
  const index = block.block.extrinsics.findIndex((extrinsic) => extrinsic.hash.toHex() === txHash)
  if (index < 0) return undefined
  const events = (await (await api.at(blockHash)).query.system.events()) as unknown as EventRecord[]
  let failed: string | undefined
  for (const { phase, event } of events) {
    if (!phase.isApplyExtrinsic || phase.asApplyExtrinsic.toNumber() !== index) continue
    if (api.events.system.ExtrinsicFailed.is(event)) failed = describeDispatchError(api, event.data[0])
  }
  return { blockHash, index, failed }
}

function describeDispatchError(api: ApiPromise, error: SpRuntimeDispatchError): string {
  if (error.isModule) {
    try {
      const { section, name } = api.registry.findMetaError(error.asModule)
      return `${section}.${name}`
    } catch {
      // Not in this metadata: the error's type name says enough.
    }
  }
  return error.type
}
