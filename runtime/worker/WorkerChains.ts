import type { Hex } from '../bytes.js'
import type { EvmChainReader } from '../chain/evm/createEvmChainReader.js'
import type {
  SubstrateRequestHint,
  SubstrateRequestReading,
} from '../chain/substrate/SubstrateRequestReading.js'
import type { StaticFunctionRegistry } from './createStaticFunctionRegistry.js'

/** The part of the Substrate chain reader the worker uses. */
export interface SubstrateRequestReader {
  readRequest(hint: SubstrateRequestHint): Promise<SubstrateRequestReading>
}

/** A Substrate chain the worker serves: its reader, and the code its operator pinned for its functions. */
export type WorkerSubstrateChain = {
  genesisHash: Hex
  reader: SubstrateRequestReader
  /** functionId -> codeHash (no registry contract on a plain FRAME chain). */
  functions: StaticFunctionRegistry
}

/**
 * The chains a worker serves, each read through its own RPC quorum. A job for any other chain is refused; an
 * HTTP call may name a function of one of the EVM chains (its registry decides the code and the owner).
 */
export type WorkerChains = {
  evm?: readonly EvmChainReader[] | undefined
  substrate?: readonly WorkerSubstrateChain[] | undefined
}
