import { requestText } from '../requestText.js'

/**
 * A `--compat gelato` request whose `storage` is the one the worker keeps for the function, whatever the request
 * said: on the worker path a caller or requester never chooses a function's storage. Returns JSON text (the
 * runtime reads text and 0x-hex alike); a request that is not a JSON object is returned as it is, and its run
 * fails on it as it would have.
 */
export function replaceGelatoStorage(request: string, storage: Record<string, string>): string {
  const text = requestText(request)
  let value: unknown
  try {
    value = text === '' ? {} : JSON.parse(text)
  } catch {
    return request
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return request
  return JSON.stringify({ ...value, storage })
}
