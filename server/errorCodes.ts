/**
 * Every error code the API answers with, its HTTP status and what it means: the one catalogue. `ApiError`
 * takes its status from here, and `/openapi.json` lists it, so a code cannot be answered without being
 * documented. Codes are stable; add new ones, never rename.
 */
export const apiErrorCodes = {
  VALIDATION_FAILED: {
    status: 400,
    description: 'the request does not match the route schema; the message names the field',
  },
  BAD_REQUEST: {
    status: 400,
    description: 'the body cannot be parsed (malformed JSON, a bad content length)',
  },
  LIMIT_TOO_HIGH: { status: 400, description: 'a per-call sandbox limit is above the operator maximum' },
  BUNDLE_TOO_DEEP: {
    status: 400,
    description:
      'the uploaded bundle nests deeper than the limit (named, with line and column) before any parser sees it',
  },
  BUNDLE_EMPTY: { status: 400, description: 'the uploaded bundle is empty' },
  BUNDLE_NOT_UTF8: { status: 400, description: 'the uploaded bundle is not well-formed UTF-8 text' },
  BUNDLE_SYNTAX_ERROR: {
    status: 400,
    description: 'the uploaded bundle does not parse (line and column named)',
  },
  BUNDLE_NOT_ES_MODULE: { status: 400, description: 'the uploaded bundle is not an ES module' },
  BUNDLE_HAS_IMPORTS: {
    status: 400,
    description: 'the uploaded bundle still imports modules (bundle them in)',
  },
  BUNDLE_NO_DEFAULT_EXPORT: { status: 400, description: 'the uploaded bundle has no default export' },
  BUNDLE_NO_MAIN: { status: 400, description: 'the default export of the uploaded bundle is not a function' },
  CHAIN_NOT_SERVED: {
    status: 400,
    description:
      'the chain (or its registry) named is not one this server reads; or it reads none and a functionId was named',
  },
  OWNER_RECORD_INVALID: {
    status: 400,
    description: 'an owner-signed secrets or settings record is malformed; the message names the field',
  },
  ENVELOPE_INVALID: {
    status: 400,
    description:
      'a posted envelope is not a well-formed, self-consistent EVM or Substrate envelope signed by the worker it names (the message says which check failed)',
  },
  UNAUTHORIZED: {
    status: 401,
    description: "an upload carries neither the owner's signature nor an API key",
  },
  API_KEY_INVALID: { status: 401, description: 'the x-api-key is not one this server accepts' },
  SIGNATURE_EXPIRED: { status: 401, description: 'the signed upload timestamp is too old or in the future' },
  SIGNATURE_INVALID: {
    status: 401,
    description: 'the upload signature is malformed or not by the declared owner',
  },
  METRICS_TOKEN_MISSING: { status: 401, description: 'GET /metrics needs the bearer token' },
  METRICS_TOKEN_INVALID: { status: 401, description: 'the bearer token of GET /metrics is wrong' },
  OWNER_NOT_ALLOWED: { status: 403, description: 'this owner may not upload functions to this server' },
  CODE_HASH_NOT_REGISTERED: {
    status: 403,
    description: 'the registry does not name this codeHash for the functionId an invocation names',
  },
  NOT_FUNCTION_OWNER: {
    status: 403,
    description:
      "an owner record or a job read is not signed by the function's on-chain owner (both are named), or the job has no owner this server can read",
  },
  JOB_TOKEN_INVALID: {
    status: 403,
    description: 'the job token presented is not the one this job was created with',
  },
  WORKER_NOT_ACTIVE: {
    status: 403,
    description:
      'a posted envelope is signed by a key the chain registry does not hold as an active worker (read through the RPC quorum)',
  },
  NOT_FOUND: { status: 404, description: 'no such route' },
  REQUEST_TIMEOUT: {
    status: 408,
    description: 'the request (headers or body) did not arrive within the server timeout',
  },
  FUNCTION_NOT_FOUND: { status: 404, description: 'no bundle with this codeHash was uploaded' },
  FUNCTION_NOT_REGISTERED: {
    status: 404,
    description: "the scope's registry has no function with this functionId",
  },
  SECRETS_NOT_FOUND: { status: 404, description: 'no secrets record was ever stored for this scope' },
  SETTINGS_NOT_FOUND: { status: 404, description: 'no settings record was ever stored for this scope' },
  JOB_NOT_FOUND: {
    status: 404,
    description:
      'no such job (finished jobs are kept for the node retention: an hour and 2,000 jobs by default)',
  },
  VERSION_NOT_NEWER: {
    status: 409,
    description: 'an owner record is not above the stored version (both versions are named)',
  },
  ENVELOPES_FULL: {
    status: 409,
    description:
      'this node already keeps the most envelopes it keeps for that request (32); the new signer is not kept',
  },
  BODY_TOO_LARGE: { status: 413, description: 'the body is over the route limit' },
  BUNDLE_TOO_LARGE: { status: 413, description: 'the bundle is over 1 MiB' },
  URL_TOO_LONG: { status: 414, description: 'a path parameter is longer than any valid one' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'the content type is not one the route takes' },
  RATE_LIMITED: { status: 429, description: 'too many requests from this caller in the window' },
  HEADERS_TOO_LARGE: {
    status: 431,
    description: 'the request line and headers are over the server limit (16 KiB)',
  },
  INTERNAL_ERROR: { status: 500, description: 'an unexpected failure (logged, never detailed)' },
  JOB_FAILED: {
    status: 502,
    description: 'the workers gave up on the job (infrastructure, not the function)',
  },
  UNAVAILABLE: {
    status: 503,
    description: 'Redis (the queue or the function store) is unreachable; retry later',
  },
  ANALYZER_UNAVAILABLE: {
    status: 503,
    description: 'the bundle analyzer (esbuild) is down and being restarted; retry the upload later',
  },
  CHAIN_UNAVAILABLE: {
    status: 503,
    description: "the chain's RPC endpoints did not agree (no quorum) or did not answer; retry later",
  },
  UNHEALTHY: { status: 503, description: 'GET /healthz: a check failed (named in the message)' },
} as const satisfies Record<string, { status: number; description: string }>

export type ApiErrorCode = keyof typeof apiErrorCodes

/** The catalogue as a markdown table, for the OpenAPI document. */
export function describeApiErrorCodes(): string {
  const rows = Object.entries(apiErrorCodes).map(
    ([code, { status, description }]) => `| ${status} | \`${code}\` | ${description} |`,
  )
  return ['| status | code | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}
