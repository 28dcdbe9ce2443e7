const safelistedContentTypes = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
])
const unsafeCharacters = new Set('"():<>?@[\\]{}')
const languageValue = /^[0-9A-Za-z *,\-.;=]*$/

/**
 * Whether a request header is CORS-safelisted (WHATWG Fetch): `accept`, `accept-language` and
 * `content-language` with plain values, and `content-type` naming a form or plain text, each at most 128
 * bytes. Browsers send these to any origin without asking it first; they carry no credentials.
 *
 * @example
 * isCorsSafelistedRequestHeader('content-type', 'text/plain; charset=utf-8') // true
 * isCorsSafelistedRequestHeader('x-api-key', 'k') // false
 */
export function isCorsSafelistedRequestHeader(name: string, value: string): boolean {
  if (Buffer.byteLength(value) > 128) return false
  switch (name.toLowerCase()) {
    case 'accept':
      return !hasUnsafeByte(value)
    case 'accept-language':
    case 'content-language':
      return languageValue.test(value)
    case 'content-type': {
      if (hasUnsafeByte(value)) return false
      const essence = value.split(';')[0]!.trim().toLowerCase()
      return safelistedContentTypes.has(essence)
    }
    default:
      return false
  }
}

/** Fetch's CORS-unsafe request-header bytes: controls other than tab, `"():<>?@[\]{}` and DEL. */
function hasUnsafeByte(value: string): boolean {
  for (const character of value) {
    const code = character.charCodeAt(0)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || unsafeCharacters.has(character)) return true
  }
  return false
}
