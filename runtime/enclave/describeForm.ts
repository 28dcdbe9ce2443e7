import { isHex } from '../bytes.js'

/**
 * The form of a value for an error message, never the value itself: "32 bytes of hex", "a 7-character
 * string", "number". Validation errors use it so that no input (a secret, a key) is ever echoed.
 */
export function describeForm(value: unknown): string {
  if (typeof value === 'string') {
    return isHex(value) ? `${(value.length - 2) / 2} bytes of hex` : `a ${value.length}-character string`
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
