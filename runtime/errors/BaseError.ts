/**
 * What every teefn error takes after its short message. An error class with several codes extends
 * `BaseError<ItsCode>`, so every one is constructed the same way: `new XError(shortMessage, { code, ... })`.
 */
export type BaseErrorParameters<code extends string = string> = {
  /** Machine-readable code, stable across versions (e.g. `HOST_NOT_ALLOWED`). */
  code: code
  /** The facts behind the failure: values, limits, names. Never secrets or keys. */
  details?: string | undefined
  /** What the reader can do about it. */
  hint?: string | undefined
  cause?: unknown
}

/**
 * The base of every error teefn throws on purpose: a short message, the details,
 * and what to do, in the style of viem's errors.
 *
 * @example
 * throw new BaseError('Bundle is too large.', {
 *   code: 'BUNDLE_TOO_LARGE',
 *   details: '1.4 MiB, the limit is 1 MiB',
 *   hint: 'Remove unused dependencies or load data with fetch at run time.',
 * })
 */
export class BaseError<code extends string = string> extends Error {
  override name = 'TeefnError'
  readonly code: code
  readonly shortMessage: string
  readonly details: string | undefined
  readonly hint: string | undefined

  constructor(shortMessage: string, parameters: BaseErrorParameters<code>) {
    const lines = [shortMessage]
    if (parameters.details) lines.push(`Details: ${parameters.details}`)
    if (parameters.hint) lines.push(`Hint: ${parameters.hint}`)
    super(lines.join('\n'), parameters.cause === undefined ? undefined : { cause: parameters.cause })
    this.code = parameters.code
    this.shortMessage = shortMessage
    this.details = parameters.details
    this.hint = parameters.hint
  }
}
