import { BaseError, type BaseErrorParameters } from '../errors/BaseError.js'

/** Why a host fetch failed; stable, so guests and callers can branch on it. */
export type FetchErrorCode =
  | 'HOST_NOT_ALLOWED'
  | 'TIMEOUT'
  | 'RESPONSE_TOO_LARGE'
  /** The bytes the host would hold for the invocation (bodies, decoders) do not fit in its memory limit. */
  | 'MEMORY_LIMIT'
  | 'TOO_MANY_REQUESTS'
  | 'NETWORK_ERROR'

export type FetchErrorParameters = BaseErrorParameters<FetchErrorCode>

/**
 * A fetch made on behalf of a function failed: denied by the network policy, too slow, too large,
 * over the invocation's fetch or memory budget, or broken on the wire.
 *
 * Messages name the origin (`https://host:port`) only, never the path or query, which often carry API keys.
 *
 * @example
 * throw new FetchError('The fetch to https://api.example.com timed out after 10000 ms.', {
 *   code: 'TIMEOUT',
 *   hint: 'Make the upstream answer faster or raise the timeout.',
 * })
 */
export class FetchError extends BaseError<FetchErrorCode> {
  override name = 'FetchError'
}

/** Whether `error` is a {@link FetchError}, optionally with the given code. */
export function isFetchError(error: unknown, code?: FetchErrorCode): error is FetchError {
  return error instanceof FetchError && (code === undefined || error.code === code)
}
