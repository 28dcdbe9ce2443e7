export {
  type CreateNonceManagerParameters,
  createNonceManager,
  type NonceManager,
} from '../shared/createNonceManager.js'
export { type ConnectEvmParameters, connectEvmHttp, connectEvmWs } from './connectEvm.js'
export {
  type CreateFulfilmentSenderParameters,
  createFulfilmentSender,
  type Fulfilment,
  type FulfilmentResult,
  type FulfilmentSender,
  FulfilmentTransactionError,
} from './createFulfilmentSender.js'
export {
  type CreateResilientWsProviderParameters,
  createResilientWsProvider,
  type ResilientWsProvider,
} from './createResilientWsProvider.js'
export { DeliveryRejectedError } from './DeliveryRejectedError.js'
export {
  type CreateLogCheckpointParameters,
  createLogCheckpoint,
  type LogCheckpoint,
} from './logCheckpoint.js'
export { RpcTimeoutError } from './RpcTimeoutError.js'
export {
  type EvmSubmitter,
  type EvmSubmitterStats,
  type StartEvmSubmitterParameters,
  startEvmSubmitter,
} from './startEvmSubmitter.js'
export {
  type EvmWatcher,
  type EvmWatcherStats,
  type StartEvmWatcherParameters,
  startEvmWatcher,
} from './startEvmWatcher.js'
