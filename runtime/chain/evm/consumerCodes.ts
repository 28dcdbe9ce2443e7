/**
 * Codes `TeefnConsumer` emits, by index (the Solidity enums; both are append-only).
 * `FulfillmentRejected(requestId, reason)` carries a `RejectReason`; `requestInfo(requestId)` a `RequestState`.
 */
export const rejectReasons = [
  'None',
  'UnknownRequest',
  'AlreadyFulfilled',
  'FunctionMismatch',
  'CodeHashMismatch',
  'InvalidSignature',
  'WorkerNotActive',
  'PayloadMismatch',
  'RequestExpired',
  'RequestCancelled',
  'QuorumRequired',
  'DuplicateSigner',
  'SignersNotAscending',
  'QuorumNotReached',
  'InvalidAnswerCount',
] as const

export type RejectReason = (typeof rejectReasons)[number]

/** As stored: a `Pending` request past its deadline can no longer be fulfilled (`isPending` is false). */
export const requestStates = [
  'None',
  'Pending',
  'Fulfilled',
  'FulfilledHookFailed',
  'Cancelled',
  'Expired',
] as const

export type RequestState = (typeof requestStates)[number]

/** The name of a `RejectReason` code, or undefined for a code this version does not know. */
export function rejectReasonName(code: number | bigint): RejectReason | undefined {
  return rejectReasons[Number(code)]
}

/** The name of a `RequestState` code, or undefined for a code this version does not know. */
export function requestStateName(code: number | bigint): RequestState | undefined {
  return requestStates[Number(code)]
}
