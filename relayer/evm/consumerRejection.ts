import { decodeErrorResult, type Hex } from 'viem'
import { type RejectReason, rejectReasonName, rejectReasons } from '../../runtime/chain/evm/consumerCodes.js'
import { RpcError } from '../../runtime/chain/evm/createRpcClient.js'
import { consumerAbi } from './consumerAbi.js'

/** The rules a consumer refuses an envelope by (`fulfill` reverts with the custom error of the same name). */
export type EnvelopeRejection = Exclude<RejectReason, 'None'>

const rejectionNames = new Set<string>(rejectReasons.filter((reason) => reason !== 'None'))

export type DecodedRevert = { name: string; args: readonly unknown[] }

/** Whether a call or estimate failed because the contract reverted (rather than the node or the network). */
export function isRevert(error: unknown): boolean {
  return error instanceof RpcError && (error.rpcCode === 3 || /revert/i.test(error.message))
}

/**
 * The consumer's custom error in a failed call or estimate, when the node returned revert data (decoded with
 * viem: a tenth of the CPU of ethers' `Interface.parseError`, `npm run bench:libraries`).
 */
export function decodeConsumerRevert(error: unknown): DecodedRevert | undefined {
  if (!isRevert(error)) return undefined
  const { data } = error as RpcError
  if (typeof data !== 'string' || !/^0x[0-9a-fA-F]{8}/.test(data)) return undefined
  try {
    const { errorName, args } = decodeErrorResult({ abi: consumerAbi(), data: data as Hex })
    return { name: errorName, args: args ?? [] }
  } catch {
    return undefined
  }
}

/** The rejection an estimate's revert stands for, or undefined for any other failure. */
export function rejectionOfRevert(revert: DecodedRevert | undefined): EnvelopeRejection | undefined {
  return revert && rejectionNames.has(revert.name) ? (revert.name as EnvelopeRejection) : undefined
}

/** The rejection a `FulfillmentRejected(requestId, reason)` code stands for. */
export function rejectionOfCode(code: number | bigint): EnvelopeRejection | undefined {
  const name = rejectReasonName(code)
  return name === 'None' ? undefined : name
}
