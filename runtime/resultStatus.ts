/**
 * How an invocation ended, as signed into every envelope and checked on-chain.
 * The index is the on-chain `uint8 status`: append new names, never reorder.
 */
export const resultStatuses = [
  'OK',
  'FUNCTION_ERROR',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'STACK_OVERFLOW',
  'SYNTAX_ERROR',
  'NO_MAIN',
  'RESULT_TOO_LARGE',
  'INVALID_RESULT',
  'INTERNAL_ERROR',
  'FUNCTION_NOT_FOUND',
  'CODE_HASH_MISMATCH',
  'SECRETS_INVALID',
  /** An HTTP caller used up its CPU-time quota; it may retry once the quota refills (never for chain requests). */
  'RATE_LIMITED',
] as const

export type ResultStatus = (typeof resultStatuses)[number]

/** The error codes an invocation can end with (every status but `OK`). */
export type InvocationErrorCode = Exclude<ResultStatus, 'OK'>

export function statusCode(status: ResultStatus): number {
  return resultStatuses.indexOf(status)
}

export function statusName(code: number): ResultStatus | undefined {
  return resultStatuses[code]
}
