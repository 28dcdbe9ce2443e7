/**
 * Guest-side code evaluated in every fresh context before the function. QuickJS compiles eagerly and this
 * runs for every invocation, so it does little: it defines `atob`/`btoa`, installs the other web APIs as
 * lazy globals (`lazyGlobals.ts`; their part is compiled when a function first touches one), and returns
 * what the host needs to call `main` and read its result, built only on built-ins captured here, before
 * the function can replace them.
 *
 * Kept as source text (not a compiled function) so no build tool rewrites it.
 */
export const preludeSource = `(function installTeefnGlobals(host, lazyGlobalsJson) {
'use strict'
const G = globalThis
const apply = Reflect.apply
const defineProperty = Object.defineProperty
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
const objectKeys = Object.keys
const jsonParse = JSON.parse
const NativePromise = Promise
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype)
const typedArrayTag = getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag).get
const typedArrayBuffer = getOwnPropertyDescriptor(typedArrayPrototype, 'buffer').get
const typedArrayOffset = getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset').get
const typedArrayLength = getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength').get
const arrayBufferSlice = ArrayBuffer.prototype.slice
const loadPart = host.loadPart

function defineGlobal(name, value) {
  defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false })
}
defineGlobal('atob', host.atob)
defineGlobal('btoa', host.btoa)
// Each lazy global is an accessor until first use, when the host compiles its part and the part's
// globals replace the accessors as ordinary data properties.
const lazyGlobals = jsonParse(lazyGlobalsJson)
for (let i = 0; i < lazyGlobals.length; i++) {
  const name = lazyGlobals[i][0]
  const part = lazyGlobals[i][1]
  defineProperty(G, name, {
    configurable: true,
    enumerable: false,
    get() {
      const globals = loadPart(part)
      const names = objectKeys(globals)
      for (let j = 0; j < names.length; j++) defineGlobal(names[j], globals[names[j]])
      return G[name]
    },
    set(value) {
      defineGlobal(name, value)
    },
  })
}

return {
  jsonParse,
  call(main, argumentsJson) {
    return new NativePromise((resolve) => {
      const parsed = jsonParse(argumentsJson)
      resolve(main(parsed.request, parsed.secrets, parsed.context))
    })
  },
  /** A copy of the bytes of a genuine Uint8Array, or undefined for anything else. */
  bytesOf(value) {
    if (apply(typedArrayTag, value, []) !== 'Uint8Array') return undefined
    const offset = apply(typedArrayOffset, value, [])
    return apply(arrayBufferSlice, apply(typedArrayBuffer, value, []), [offset, offset + apply(typedArrayLength, value, [])])
  },
}
})`

/**
 * Captures the built-ins the lazy parts build on (listed in `capturedBuiltins`) the first time a
 * function touches a web API, and adds the byte helpers they share.
 */
export const sharedPartSource = `(function sharedPart(host, capturesJson) {
'use strict'
const G = globalThis
const getPrototypeOf = Object.getPrototypeOf
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
const captured = { host }
const captures = JSON.parse(capturesJson)
for (let i = 0; i < captures.length; i++) {
  const keys = captures[i][1].split('.')
  let owner = G
  for (let k = 0; k < keys.length - 1; k++) owner = keys[k] === '<proto>' ? getPrototypeOf(owner) : owner[keys[k]]
  const last = keys[keys.length - 1] === '@@toStringTag' ? Symbol.toStringTag : keys[keys.length - 1]
  captured[captures[i][0]] = captures[i][2] ? getOwnPropertyDescriptor(owner, last).get : owner[last]
}
const { apply, typedArrayTag, typedArrayBuffer, typedArrayOffset, typedArrayLength, dataViewBuffer, dataViewOffset,
  dataViewLength, arrayBufferSlice, arrayBufferByteLength } = captured

function typedArrayKind(value) {
  return apply(typedArrayTag, value, [])
}
/** A copy of the bytes of a typed array, DataView or ArrayBuffer, or undefined for anything else. */
function toArrayBuffer(value) {
  let parts
  if (typedArrayKind(value) !== undefined) {
    parts = [apply(typedArrayBuffer, value, []), apply(typedArrayOffset, value, []), apply(typedArrayLength, value, [])]
  } else {
    try {
      parts = [apply(dataViewBuffer, value, []), apply(dataViewOffset, value, []), apply(dataViewLength, value, [])]
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
captured.typedArrayKind = typedArrayKind
captured.toArrayBuffer = toArrayBuffer
return Object.freeze(captured)
})`

/**
 * [name, path from globalThis, take the getter?]: the built-ins the lazy parts use, captured by
 * `sharedPartSource` when a function first touches a web API. `<proto>` steps to the prototype (%TypedArray% has no global).
 */
export const capturedBuiltins: [string, string, boolean?][] = [
  ['apply', 'Reflect.apply'],
  ['defineProperty', 'Object.defineProperty'],
  ['getOwnPropertyDescriptor', 'Object.getOwnPropertyDescriptor'],
  ['objectKeys', 'Object.keys'],
  ['isArray', 'Array.isArray'],
  ['jsonParse', 'JSON.parse'],
  ['jsonStringify', 'JSON.stringify'],
  ['NativePromise', 'Promise'],
  ['promiseThen', 'Promise.prototype.then'],
  ['promiseResolve', 'Promise.resolve'],
  ['NativeString', 'String'],
  ['NativeNumber', 'Number'],
  ['NativeBoolean', 'Boolean'],
  ['NativeError', 'Error'],
  ['NativeTypeError', 'TypeError'],
  ['NativeRangeError', 'RangeError'],
  ['NativeUint8Array', 'Uint8Array'],
  ['NativeMap', 'Map'],
  ['mapGet', 'Map.prototype.get'],
  ['mapSet', 'Map.prototype.set'],
  ['mapDelete', 'Map.prototype.delete'],
  ['mapHas', 'Map.prototype.has'],
  ['mapForEach', 'Map.prototype.forEach'],
  ['arrayPush', 'Array.prototype.push'],
  ['arrayJoin', 'Array.prototype.join'],
  ['stringSlice', 'String.prototype.slice'],
  ['stringToLowerCase', 'String.prototype.toLowerCase'],
  ['stringToUpperCase', 'String.prototype.toUpperCase'],
  ['stringTrim', 'String.prototype.trim'],
  ['numberToString', 'Number.prototype.toString'],
  ['typedArraySet', 'Uint8Array.prototype.<proto>.set'],
  ['typedArrayTag', 'Uint8Array.prototype.<proto>.@@toStringTag', true],
  ['typedArrayBuffer', 'Uint8Array.prototype.<proto>.buffer', true],
  ['typedArrayOffset', 'Uint8Array.prototype.<proto>.byteOffset', true],
  ['typedArrayLength', 'Uint8Array.prototype.<proto>.byteLength', true],
  ['dataViewBuffer', 'DataView.prototype.buffer', true],
  ['dataViewOffset', 'DataView.prototype.byteOffset', true],
  ['dataViewLength', 'DataView.prototype.byteLength', true],
  ['arrayBufferSlice', 'ArrayBuffer.prototype.slice'],
  ['arrayBufferByteLength', 'ArrayBuffer.prototype.byteLength', true],
]
