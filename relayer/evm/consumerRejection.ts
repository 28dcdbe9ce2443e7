import { Interface } from 'ethers'
import { loadArtifact } from '../../contracts/artifacts.js'
import { type RejectReason, rejectReasonName, rejectReasons } from '../../runtime/chain/evm/consumerCodes.js'
import { RpcError } from '../../runtime/chain/evm/createRpcClient.js'

/** The `TeefnConsumer` ABI: functions, events and custom errors every consumer shares. */
let consumerAbi: Interface | undefined
export function consumerInterface(): Interface {
  consumerAbi ??= new Interface(loadArtifact('TeefnConsumer').abi)
  return consumerAbi
}

/** The rules a consumer refuses an envelope by (`fulfill` reverts with the custom error of the same name). */
export type EnvelopeRejection = Exclude<RejectReason, 'None'>

const rejectionNames = new Set<string>(rejectReasons.filter((reason) => reason !== 'None'))

export type DecodedRevert = { name: string; args: unknown[] }

/** Whether a call or estimate failed because the contract reverted (rather than the node or the network). */
export function isRevert(error: unknown): boolean {
  if (error instanceof RpcError) {
    return error.rpcCode === 3 || /revert/i.test(error.message)
  }
  return (error as { code?: string })?.code === 'CALL_EXCEPTION'
}

/** The consumer's custom error in a failed call or estimate, when the node returned revert data. */
export function decodeConsumerRevert(error: unknown): DecodedRevert | undefined {
  if (!isRevert(error)) return undefined
  const candidate = error as { data?: unknown; revert?: { name: string; args: unknown[] } | null }
  if (candidate.revert) return { name: candidate.revert.name, args: [...candidate.revert.args] }
  if (typeof candidate.data !== 'string' || candidate.data.length < 10) return undefined
  try {
    const parsed = consumerInterface().parseError(candidate.data)
    return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined
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
