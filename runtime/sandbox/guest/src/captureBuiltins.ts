import type { GuestHost } from './GuestHost.js'

/** What every lazy part receives: the host object, the captured built-ins and the byte helpers. */
export type SharedBuiltins = ReturnType<typeof captureBuiltins>

/**
 * Captures the built-ins the lazy parts build on, the first time a function touches a web API, and adds
 * the byte helpers they share. Parts call only these, never the globals, so a function that replaces a
 * built-in later changes nothing in them.
 */
export default function captureBuiltins(host: GuestHost) {
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
  const getter = <T>(owner: object, key: PropertyKey) =>
    getOwnPropertyDescriptor(owner, key)!.get as (this: unknown) => T
  // %TypedArray% has no global: it is the prototype's prototype.
  const typedArrayPrototype: object = Object.getPrototypeOf(Uint8Array.prototype)
  const apply = Reflect.apply
  const typedArrayTag = getter<string | undefined>(typedArrayPrototype, Symbol.toStringTag)
  const typedArrayBuffer = getter<ArrayBuffer>(typedArrayPrototype, 'buffer')
  const typedArrayOffset = getter<number>(typedArrayPrototype, 'byteOffset')
  const typedArrayLength = getter<number>(typedArrayPrototype, 'byteLength')
  const dataViewBuffer = getter<ArrayBuffer>(DataView.prototype, 'buffer')
  const dataViewOffset = getter<number>(DataView.prototype, 'byteOffset')
  const dataViewLength = getter<number>(DataView.prototype, 'byteLength')
  const arrayBufferSlice = ArrayBuffer.prototype.slice
  const arrayBufferByteLength = getter<number>(ArrayBuffer.prototype, 'byteLength')

  /** `Uint8Array`, `Float64Array`... for a genuine typed array, undefined for anything else. */
  function typedArrayKind(value: unknown): string | undefined {
    return apply(typedArrayTag, value, [])
  }

  /** A copy of the bytes of a typed array, DataView or ArrayBuffer, or undefined for anything else. */
  function toArrayBuffer(value: unknown): ArrayBuffer | undefined {
    let parts: [ArrayBuffer, number, number] | undefined
    if (typedArrayKind(value) !== undefined) {
      parts = [
        apply(typedArrayBuffer, value, []),
        apply(typedArrayOffset, value, []),
        apply(typedArrayLength, value, []),
      ]
    } else {
      try {
        parts = [
          apply(dataViewBuffer, value, []),
          apply(dataViewOffset, value, []),
          apply(dataViewLength, value, []),
        ]
      } catch {}
    }
    if (parts !== undefined) return apply(arrayBufferSlice, parts[0], [parts[1], parts[1] + parts[2]])
    try {
      apply(arrayBufferByteLength, value, [])
      return apply(arrayBufferSlice, value, [0])
    } catch {
      return undefined
    }
  }

  return Object.freeze({
    host,
    apply,
    objectKeys: Object.keys,
    isArray: Array.isArray,
    jsonParse: JSON.parse,
    jsonStringify: JSON.stringify,
    NativePromise: Promise,
    promiseThen: Promise.prototype.then,
    promiseResolve: Promise.resolve,
    NativeString: String,
    NativeNumber: Number,
    NativeBoolean: Boolean,
    NativeError: Error,
    NativeTypeError: TypeError,
    NativeRangeError: RangeError,
    NativeUint8Array: Uint8Array,
    NativeMap: Map,
    mapGet: Map.prototype.get,
    mapSet: Map.prototype.set,
    mapDelete: Map.prototype.delete,
    mapHas: Map.prototype.has,
    mapForEach: Map.prototype.forEach,
    arrayPush: Array.prototype.push,
    arrayJoin: Array.prototype.join,
    stringToLowerCase: String.prototype.toLowerCase,
    stringTrim: String.prototype.trim,
    numberToString: Number.prototype.toString,
    typedArraySet: (typedArrayPrototype as Uint8Array).set,
    typedArrayKind,
    typedArrayBuffer,
    typedArrayOffset,
    typedArrayLength,
    toArrayBuffer,
  })
}
