import type { Hex } from '../runtime/bytes.js'
import { ChainReadError } from '../runtime/chain/ChainReadError.js'
import type { EvmFunctionReading } from '../runtime/chain/evm/createEvmChainReader.js'
import { ApiError } from './ApiError.js'
import { redactHosts } from './redactHosts.js'
import type { ServerEvmChain } from './ServerContext.js'

/**
 * A function's registry entry (code, owner), and `worker`'s admission when given, at the confirmed head, as a quorum of the chain's RPC endpoints
 * agree on it: the same read the worker makes. When they do not agree or answer, the caller gets 503
 * `CHAIN_UNAVAILABLE` (retry later), never an answer from a single endpoint.
 */
export async function readFunctionInfo(
  chain: ServerEvmChain,
  functionId: Hex,
  options: { worker?: Hex | undefined } = {},
): Promise<EvmFunctionReading> {
  try {
    return await chain.readFunction(functionId, options)
  } catch (error) {
    if (!(error instanceof ChainReadError)) throw error
    throw new ApiError(
      `function ${functionId} could not be read on EVM chain ${chain.chainId}: ${redactHosts(error.shortMessage)}`,
      { code: 'CHAIN_UNAVAILABLE', hint: 'The RPC endpoints did not agree or answer; retry later.' },
    )
  }
}
