/** Limits a fetch falls back to; see the defaults table in DESIGN.md. */
export const fetchDefaults = {
  /** Fetches one invocation may start. */
  maxFetches: 16,
  /** Decoded body bytes per response: 5 MiB. */
  maxResponseBytes: 5 * 1024 * 1024,
  /** One fetch, all redirects and the whole body included; the invocation's deadline is also 10 s. */
  timeoutMs: 10_000,
  /** Redirects followed before the fetch fails. */
  maxRedirects: 5,
  /** Content-encoding layers decoded (`gzip, br` is two); a response encoded more often is refused. */
  maxContentEncodings: 2,
  userAgent: 'teefn/0.1',
} as const
