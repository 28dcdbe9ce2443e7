import type { SharedBuiltins } from './captureBuiltins.js'

/** `crypto.getRandomValues` and `crypto.randomUUID`, from the host's CSPRNG. */
export default function cryptoPart(shared: SharedBuiltins) {
  const {
    host,
    apply,
    NativeTypeError,
    NativeRangeError,
    NativeUint8Array,
    typedArrayKind,
    typedArrayBuffer,
    typedArrayOffset,
    typedArrayLength,
    typedArraySet,
    numberToString,
  } = shared
  const randomBytes = host.randomBytes
  const integerArrayKinds = [
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'BigInt64Array',
    'BigUint64Array',
  ]

  const crypto = {
    getRandomValues<T>(view: T): T {
      const kind = typedArrayKind(view)
      let integer = false
      for (let i = 0; i < integerArrayKinds.length; i++) if (integerArrayKinds[i] === kind) integer = true
      if (!integer)
        throw new NativeTypeError('crypto.getRandomValues: the argument must be an integer typed array')
      const length = apply(typedArrayLength, view, [])
      if (length > 65536) {
        throw new NativeRangeError(`crypto.getRandomValues: at most 65536 bytes per call, got ${length}`)
      }
      const target = new NativeUint8Array(
        apply(typedArrayBuffer, view, []),
        apply(typedArrayOffset, view, []),
        length,
      )
      apply(typedArraySet, target, [new NativeUint8Array(randomBytes(length))])
      return view
    },
    randomUUID(): string {
      const bytes = new NativeUint8Array(randomBytes(16))
      bytes[6] = (bytes[6]! & 0x0f) | 0x40
      bytes[8] = (bytes[8]! & 0x3f) | 0x80
      let hex = ''
      for (let i = 0; i < 16; i++) {
        hex += (bytes[i]! < 16 ? '0' : '') + apply(numberToString, bytes[i], [16])
        if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-'
      }
      return hex
    },
  }

  return { crypto }
}
