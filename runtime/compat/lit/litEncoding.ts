import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'

/** `Lit.Actions.uint8arrayToString(array, encoding)`, for the encodings Lit actions use. */
export function uint8arrayToString(array: Uint8Array, encoding = 'utf8'): string {
  if (!(array instanceof Uint8Array)) throw new TypeError('uint8arrayToString: array must be a Uint8Array')
  switch (encoding) {
    case 'utf8':
    case 'utf-8':
      return new TextDecoder().decode(array)
    case 'base16':
      return bytesToHex(array)
    case 'base64':
    case 'base64url': {
      const text = btoa(String.fromCharCode(...array))
      return encoding === 'base64' ? text : text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    }
    default:
      throw new Error(
        `uint8arrayToString: encoding ${encoding} is not supported (utf8, base16, base64, base64url)`,
      )
  }
}

/** `Lit.Actions.uint8arrayFromString(string, encoding)`. */
export function uint8arrayFromString(text: string, encoding = 'utf8'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('uint8arrayFromString: string must be a string')
  switch (encoding) {
    case 'utf8':
    case 'utf-8':
      return new TextEncoder().encode(text)
    case 'base16':
      return hexToBytes(text)
    case 'base64':
    case 'base64url': {
      const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
      return Uint8Array.from(binary, (char) => char.charCodeAt(0))
    }
    default:
      throw new Error(
        `uint8arrayFromString: encoding ${encoding} is not supported (utf8, base16, base64, base64url)`,
      )
  }
}
