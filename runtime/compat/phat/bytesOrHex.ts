/**
 * Phat's `BytesOrHex` arguments (request bodies, `deriveSecret` salts, `hash` messages): a Uint8Array as is, a
 * `0x`-prefixed hex string as the bytes it spells, any other string as its UTF-8 bytes. Bundled into a
 * `--compat phat` function, so it runs in the sandbox and throws plain `Error`s the function sees.
 */
export function bytesOrHex(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value !== 'string') throw new TypeError(`${name} must be a Uint8Array or a string`)
  return isHex(value) ? hexBytes(value) : new TextEncoder().encode(value)
}

/** Whether `value` is `0x` followed by whole bytes of hex. */
export function isHex(value: string): boolean {
  return /^0x(?:[0-9a-fA-F]{2})*$/.test(value)
}

export function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array((hex.length - 2) / 2)
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(2 + 2 * index, 4 + 2 * index), 16)
  return bytes
}

/** Lower-case hex without the `0x`. */
export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
