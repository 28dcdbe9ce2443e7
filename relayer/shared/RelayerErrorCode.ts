import type { FulfilmentTransactionErrorCode } from '../evm/FulfilmentTransactionError.js'
import type { SubstrateRelayerErrorCode } from '../substrate/SubstrateRelayerError.js'
import type { DeliveryBatcherErrorCode } from './createDeliveryBatcher.js'

/**
 * Every code an error of the relayer layer (both chain adapters and what they share) carries: the layer's one
 * catalogue. Each class documents its own codes; the runtime's are `RuntimeErrorCode`.
 */
export type RelayerErrorCode =
  | DeliveryBatcherErrorCode
  | FulfilmentTransactionErrorCode
  | SubstrateRelayerErrorCode
  /** The consumer refused an envelope; `reason` names its custom error (`DeliveryRejectedError`). */
  | 'DELIVERY_REJECTED'
  /** A call to a node did not answer in time (`RpcTimeoutError`). */
  | 'RPC_TIMEOUT'
