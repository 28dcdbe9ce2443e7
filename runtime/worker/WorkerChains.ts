import type { EvmChainReader } from '../chain/evm/createEvmChainReader.js'
import type { Hex } from '../enclave/bytes.js'
import type { StaticFunctionRegistry } from './createStaticFunctionRegistry.js'

/** Where a Substrate job says its request is. */
export type SubstrateRequestHint = { blockHash: Hex; extrinsicIndex: number; requestId: Hex }

/** A remark request as a quorum of endpoints reads it (`runtime/chain/substrate`). */
export type SubstrateRequestReading = {
  request: {
    requestId: Hex
    functionId: Hex
    /** AccountId32 of the remark's origin: the result's destination. */
    origin: Hex
    payload: Hex
    payloadHash: Hex
    blockHash: Hex
    blockNumber: number
    extrinsicIndex: number
  }
}

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
