import type { Hex } from '../bytes.js'
import type { RequestJobData } from '../queue/jobs.js'

/** Which function, on which chain (a request carries both). */
export type FunctionLookup = Pick<RequestJobData, 'chainId' | 'functionId'>

/**
 * What a worker asks a chain before it runs a chain request: which code the function's registry names
 * now. Chain adapters implement it (`relayer/evm`, `relayer/substrate`); the worker never trusts the
 * relayer's word for it.
 */
export interface FunctionRegistry {
  /** The codeHash registered for the functionId on the chain, or undefined when none is. */
  codeHashOf(lookup: FunctionLookup): Promise<Hex | undefined>
}
