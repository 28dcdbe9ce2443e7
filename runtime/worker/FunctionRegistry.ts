import type { RequestJobData } from '../queue/jobs.js'

type Hex = `0x${string}`

/**
 * What a worker asks a chain before it runs a chain request: which code the function's registry names
 * now. Chain adapters implement it (`relayer/evm`, `relayer/substrate`); the worker never trusts the
 * relayer's word for it.
 */
export interface FunctionRegistry {
  /** The codeHash registered for the request's functionId on its chain, or undefined when none is. */
  codeHashOf(request: RequestJobData): Promise<Hex | undefined>
}
