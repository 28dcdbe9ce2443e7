import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import { UnrecoverableError } from 'bullmq'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'

export type BuildDeliveryExtrinsicParameters = {
  api: ApiPromise
  /** How an envelope becomes a call (the remark protocol, or a chain's own pallet). */
  delivery: SubstrateDelivery
  deliveries: readonly SubstrateDeliveryData[]
}

export type BuildDeliveryExtrinsicReturnType = {
  /** The one call, or `utility.batchAll` of several; undefined when no call could be built. */
  extrinsic: SubmittableExtrinsic<'promise'> | undefined
  /** Per delivery, in order: why its call could not be built (final), or undefined when it is in `extrinsic`. */
  errors: (UnrecoverableError | undefined)[]
}

/**
 * The unsigned extrinsic that delivers `deliveries`: a call each (`delivery.buildCall`), in one
 * `utility.batchAll` when there are several, so they land or fail together. A delivery whose call cannot be
 * built is left out and fails for good (`UnrecoverableError`): building it again would fail the same way.
 */
export function buildDeliveryExtrinsic({
  api,
  delivery,
  deliveries,
}: BuildDeliveryExtrinsicParameters): BuildDeliveryExtrinsicReturnType {
  const calls: SubmittableExtrinsic<'promise'>[] = []
  const errors = deliveries.map((data) => {
    try {
      calls.push(delivery.buildCall(api, data))
      return undefined
    } catch (error) {
      return new UnrecoverableError(`cannot build the delivery call: ${(error as Error)?.message}`)
    }
  })
  const extrinsic = calls.length <= 1 ? calls[0] : api.tx.utility.batchAll(calls)
  return { extrinsic, errors }
}
