/** The Substrate chain adapter: the remark protocol, its watcher and submitter, and their pluggable parts. */

// The remark protocol's byte formats live with the worker's reader (runtime/chain/substrate): one home.
export * from '../../runtime/chain/substrate/index.js'
export {
  type ConnectSubstrateParameters,
  connectSubstrate,
  type SubstrateConnection,
} from './connectSubstrate.js'
export {
  type CreateEventTriggerParameters,
  createEventTrigger,
  type EventMatch,
} from './createEventTrigger.js'
export { createRemarkDelivery, resultRemarkOf } from './createRemarkDelivery.js'
export { type CreateRemarkTriggerParameters, createRemarkTrigger } from './createRemarkTrigger.js'
export {
  type Checkpoint,
  createSubstrateStateStore,
  type DeliveredRecord,
  type InflightRecord,
  type SubstrateStateStore,
} from './createSubstrateStateStore.js'
export { readBlock } from './readBlock.js'
export {
  type OnChainRequest,
  type OnChainResult,
  type ReadSubstrateResultsParameters,
  type ReadSubstrateResultsReturnType,
  readSubstrateResults,
} from './readSubstrateResults.js'
export type { SubstrateDelivery } from './SubstrateDelivery.js'
export { SubstrateRelayerError, type SubstrateRelayerErrorCode } from './SubstrateRelayerError.js'
export type { SubstrateBlock, SubstrateTrigger, TriggerFinding } from './SubstrateTrigger.js'
export {
  type StartSubstrateRelayerParameters,
  type SubstrateRelayer,
  startSubstrateRelayer,
} from './startSubstrateRelayer.js'
export {
  type DeliveryReceipt,
  type StartSubstrateSubmitterParameters,
  type SubstrateSubmitter,
  type SubstrateSubmitterStats,
  startSubstrateSubmitter,
} from './startSubstrateSubmitter.js'
export {
  accountHex,
  type StartSubstrateWatcherParameters,
  type SubstrateHeadMode,
  type SubstrateWatcher,
  type SubstrateWatcherCounters,
  startSubstrateWatcher,
} from './startSubstrateWatcher.js'
export {
  type Inclusion,
  type NotIncludedError,
  type SubmitAndWatchParameters,
  submitAndWatch,
} from './submitAndWatch.js'
