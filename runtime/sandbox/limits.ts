import { BaseError } from '../errors/BaseError.js'

/** What one invocation may use. Every field has a default (the map's) and an operator maximum. */
export type SandboxLimits = {
  /** Wall-clock deadline from the start of evaluation, in ms. */
  timeoutMs: number
  /** Memory the function may allocate, in bytes. */
  memoryBytes: number
  /** QuickJS stack, in bytes; at most 256 KiB (Node's own stack overflows first above ~384 KiB). */
  stackBytes: number
  /** Size of the returned string (UTF-8) or bytes. */
  resultBytes: number
  /** Size of all console output together; later lines are dropped. */
  logBytes: number
  /** Fetches per invocation. */
  maxFetches: number
  /** Response body per fetch, after decompression. */
  fetchResponseBytes: number
  /** Per-fetch timeout, never past the invocation deadline. */
  fetchTimeoutMs: number
}

const KiB = 1024
const MiB = 1024 * KiB

export const defaultLimits: SandboxLimits = Object.freeze({
  timeoutMs: 10_000,
  memoryBytes: 64 * MiB,
  stackBytes: 256 * KiB,
  resultBytes: 64 * KiB,
  logBytes: 64 * KiB,
  maxFetches: 16,
  fetchResponseBytes: 5 * MiB,
  fetchTimeoutMs: 10_000,
})

/** The most an operator lets a caller ask for, unless configured otherwise. */
export const defaultMaximumLimits: SandboxLimits = Object.freeze({
  timeoutMs: 60_000,
  memoryBytes: 256 * MiB,
  stackBytes: 256 * KiB,
  resultBytes: 1 * MiB,
  logBytes: 1 * MiB,
  maxFetches: 64,
  fetchResponseBytes: 32 * MiB,
  fetchTimeoutMs: 60_000,
})

/**
 * The most an HTTP caller may ask for, unless configured otherwise. Anyone who can reach the API can send
 * requests, free of charge, while a chain request costs its requester gas: HTTP callers get less than the
 * operator maximum that chain requests may use.
 */
export const defaultHttpMaximumLimits: SandboxLimits = Object.freeze({
  timeoutMs: 15_000,
  memoryBytes: 64 * MiB,
  stackBytes: 256 * KiB,
  resultBytes: 256 * KiB,
  logBytes: 256 * KiB,
  maxFetches: 16,
  fetchResponseBytes: 5 * MiB,
  fetchTimeoutMs: 15_000,
})

export class LimitExceedsMaximumError extends BaseError {
  override name = 'LimitExceedsMaximumError'
  constructor(field: keyof SandboxLimits, requested: number, maximum: number) {
    super(`The ${field} limit asked for is above the operator maximum.`, {
      code: 'LIMIT_EXCEEDS_MAXIMUM',
      details: `${field}: asked ${requested}, maximum ${maximum}`,
      hint: `Ask for at most ${maximum}, or raise the maximum in the worker's configuration.`,
    })
  }
}

export class InvalidLimitError extends BaseError {
  override name = 'InvalidLimitError'
  constructor(field: string, value: unknown) {
    super(`The ${field} limit must be a positive integer.`, {
      code: 'INVALID_LIMIT',
      details: `${field}: ${String(value)}`,
      hint: 'Pass a whole number greater than zero, or leave it out to use the default.',
    })
  }
}

export type ResolveLimitsParameters = {
  requested?: Partial<SandboxLimits> | undefined
  defaults?: SandboxLimits | undefined
  maximum?: SandboxLimits | undefined
}

/** Fills in defaults and refuses a value above the operator maximum (rather than silently lowering it). */
export function resolveLimits({
  requested = {},
  defaults = defaultLimits,
  maximum = defaultMaximumLimits,
}: ResolveLimitsParameters = {}): SandboxLimits {
  const resolved = { ...defaults }
  for (const field of Object.keys(defaults) as (keyof SandboxLimits)[]) {
    const value = requested[field]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidLimitError(field, value)
    if (value > maximum[field]) throw new LimitExceedsMaximumError(field, value, maximum[field])
    resolved[field] = value
  }
  return resolved
}
