import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'

/**
 * Maps a signed envelope to the call that delivers it. The remark protocol (`createRemarkDelivery`) is the
 * first; a chain with its own pallet or contract returns its own call (`pallet.fulfil(...)`,
 * `contracts.call(...)`). The submitter signs, pays for, batches (`utility.batchAll`) and tracks the calls.
 */
export interface SubstrateDelivery {
  readonly name: string
  buildCall(api: ApiPromise, delivery: SubstrateDeliveryData): SubmittableExtrinsic<'promise'>
}
