import { readOperatorKey } from './operatorKey.js'

/** An API refusal, in the API's one error shape. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * GETs a path of this node's API (same origin only: the page's CSP allows no other) as JSON, with the operator
 * key as `x-api-key` when one is kept. Refusals throw `ApiRefusal` with the API's code.
 */
export async function fetchApi<T>(path: string, options: { operator?: boolean } = {}): Promise<T> {
  const key = options.operator === false ? undefined : readOperatorKey()
  const response = await fetch(path, {
    headers: key ? { 'x-api-key': key } : {},
    credentials: 'omit',
    cache: 'no-store',
  })
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code: string; message: string } }
    | undefined
  if (!response.ok) {
    throw new ApiRefusal(
      response.status,
      body?.error?.code ?? 'HTTP_ERROR',
      body?.error?.message ?? `${path} answered ${response.status}`,
    )
  }
  return body as T
}
