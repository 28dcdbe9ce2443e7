/**
 * A response as Chipotle's `setResponse` and `main` send it: a string as is, anything else JSON-encoded, undefined
 * as `null`. A value JSON cannot encode (a BigInt, a cycle) fails naming `what`.
 */
export function litResponseText(value: unknown, what: string): string {
  if (typeof value === 'string') return value
  if (value === undefined) return 'null'
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw new Error(`${what} cannot be JSON-encoded: ${(error as Error).message}`)
  }
  if (text === undefined) throw new Error(`${what} cannot be JSON-encoded: it is a ${typeof value}`)
  return text
}
