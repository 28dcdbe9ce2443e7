import type { SharedBuiltins } from './captureBuiltins.js'

/** `TextEncoder` and `TextDecoder` (UTF-8 only), converting on the host. */
export default function encodingPart(shared: SharedBuiltins) {
  const {
    host,
    apply,
    NativeString,
    NativeTypeError,
    NativeRangeError,
    NativeUint8Array,
    stringToLowerCase,
    stringTrim,
    toArrayBuffer,
  } = shared
  const encodeUtf8 = host.encodeUtf8
  const decodeUtf8 = host.decodeUtf8

  class TextEncoder {
    get encoding() {
      return 'utf-8'
    }
    encode(input: unknown = '') {
      return new NativeUint8Array(encodeUtf8(NativeString(input)))
    }
  }

  class TextDecoder {
    #fatal: boolean
    #ignoreBOM: boolean
    constructor(label: unknown = 'utf-8', options: { fatal?: unknown; ignoreBOM?: unknown } = {}) {
      const normalized: string = apply(stringToLowerCase, apply(stringTrim, NativeString(label), []), [])
      if (normalized !== 'utf-8' && normalized !== 'utf8' && normalized !== 'unicode-1-1-utf-8') {
        throw new NativeRangeError(`TextDecoder: only utf-8 is supported, got "${label}"`)
      }
      this.#fatal = Boolean(options?.fatal)
      this.#ignoreBOM = Boolean(options?.ignoreBOM)
    }
    get encoding() {
      return 'utf-8'
    }
    get fatal() {
      return this.#fatal
    }
    get ignoreBOM() {
      return this.#ignoreBOM
    }
    decode(input?: unknown) {
      if (input === undefined) return ''
      const buffer = toArrayBuffer(input)
      if (buffer === undefined)
        throw new NativeTypeError('TextDecoder.decode: input must be an ArrayBuffer or a view')
      return decodeUtf8(buffer, this.#fatal, this.#ignoreBOM)
    }
  }

  return { TextEncoder, TextDecoder }
}
