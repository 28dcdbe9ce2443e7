/**
 * Web APIs compiled into a context only when a function first touches them. Each part is a function
 * expression that receives the built-ins the prelude captured (`shared`) and returns its globals.
 * Kept as source text so no build tool rewrites it.
 */
const encodingPart = `(function encodingPart(shared) {
'use strict'
const { host, apply, NativeString, NativeTypeError, NativeRangeError, NativeUint8Array, stringToLowerCase, stringTrim, toArrayBuffer } = shared
const encodeUtf8 = host.encodeUtf8
const decodeUtf8 = host.decodeUtf8
class TextEncoder {
  get encoding() {
    return 'utf-8'
  }
  encode(input = '') {
    return new NativeUint8Array(encodeUtf8(NativeString(input)))
  }
}
class TextDecoder {
  #fatal
  #ignoreBOM
  constructor(label = 'utf-8', options = {}) {
    const normalized = apply(stringToLowerCase, apply(stringTrim, NativeString(label), []), [])
    if (normalized !== 'utf-8' && normalized !== 'utf8' && normalized !== 'unicode-1-1-utf-8') {
      throw new NativeRangeError('TextDecoder: only utf-8 is supported, got "' + label + '"')
    }
    this.#fatal = Boolean(options && options.fatal)
    this.#ignoreBOM = Boolean(options && options.ignoreBOM)
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
  decode(input) {
    if (input === undefined) return ''
    const buffer = toArrayBuffer(input)
    if (buffer === undefined) throw new NativeTypeError('TextDecoder.decode: input must be an ArrayBuffer or a view')
    return decodeUtf8(buffer, this.#fatal, this.#ignoreBOM)
  }
}
return { TextEncoder, TextDecoder }
})`

const cryptoPart = `(function cryptoPart(shared) {
'use strict'
const { host, apply, NativeTypeError, NativeRangeError, NativeUint8Array, typedArrayKind, typedArrayBuffer, typedArrayOffset, typedArrayLength, typedArraySet, numberToString } = shared
const randomBytes = host.randomBytes
const integerArrayKinds = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array']
const crypto = {
  getRandomValues(view) {
    const kind = typedArrayKind(view)
    let integer = false
    for (let i = 0; i < integerArrayKinds.length; i++) if (integerArrayKinds[i] === kind) integer = true
    if (!integer) throw new NativeTypeError('crypto.getRandomValues: the argument must be an integer typed array')
    const length = apply(typedArrayLength, view, [])
    if (length > 65536) {
      throw new NativeRangeError('crypto.getRandomValues: at most 65536 bytes per call, got ' + length)
    }
    const target = new NativeUint8Array(apply(typedArrayBuffer, view, []), apply(typedArrayOffset, view, []), length)
    apply(typedArraySet, target, [new NativeUint8Array(randomBytes(length))])
    return view
  },
  randomUUID() {
    const bytes = new NativeUint8Array(randomBytes(16))
    bytes[6] = (bytes[6] & 0x0f) | 0x40
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    let hex = ''
    for (let i = 0; i < 16; i++) {
      hex += (bytes[i] < 16 ? '0' : '') + apply(numberToString, bytes[i], [16])
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-'
    }
    return hex
  },
}
return { crypto }
})`

const deriveSecretPart = `(function deriveSecretPart(shared) {
'use strict'
const { host, NativeTypeError, NativeUint8Array } = shared
const hostDeriveSecret = host.deriveSecret
return {
  deriveSecret: function deriveSecret(path) {
    if (typeof path !== 'string' || path.length === 0 || path.length > 256) {
      throw new NativeTypeError('deriveSecret: path must be a non-empty string of at most 256 characters')
    }
    return new NativeUint8Array(hostDeriveSecret(path))
  },
}
})`

const timersPart = `(function timersPart(shared) {
'use strict'
const { host, apply, NativeNumber, NativeTypeError, NativePromise, promiseThen, promiseResolve } = shared
const setTimer = host.setTimer
const clearTimer = host.clearTimer
return {
  setTimeout: function setTimeout(callback, delay, ...args) {
    if (typeof callback !== 'function') throw new NativeTypeError('setTimeout: callback must be a function')
    return setTimer(() => apply(callback, undefined, args), NativeNumber(delay) || 0)
  },
  clearTimeout: function clearTimeout(id) {
    if (typeof id === 'number') clearTimer(id)
  },
  queueMicrotask: function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new NativeTypeError('queueMicrotask: callback must be a function')
    apply(promiseThen, apply(promiseResolve, NativePromise, []), [() => callback()])
  },
}
})`

const fetchClassesPart = `(function fetchClassesPart(shared) {
'use strict'
const {
  host, apply, objectKeys, isArray, jsonParse, NativePromise, promiseThen, NativeString, NativeNumber, NativeBoolean,
  NativeTypeError, NativeUint8Array, NativeMap, mapGet, mapSet, mapDelete, mapHas, mapForEach, arrayPush, arrayJoin,
  stringToLowerCase, stringToUpperCase, toArrayBuffer,
} = shared
const encodeUtf8 = host.encodeUtf8
const decodeUtf8 = host.decodeUtf8
const hostFetch = host.fetch

function normalizeHeaderName(name) {
  const lower = apply(stringToLowerCase, NativeString(name), [])
  if (lower.length === 0) throw new NativeTypeError('Headers: header name must not be empty')
  return lower
}
class Headers {
  #map = new NativeMap()
  constructor(init) {
    if (init === undefined || init === null) return
    if (init instanceof Headers) {
      init.forEach((value, name) => this.append(name, value))
    } else if (isArray(init)) {
      for (let i = 0; i < init.length; i++) this.append(init[i][0], init[i][1])
    } else if (typeof init === 'object') {
      const names = objectKeys(init)
      for (let i = 0; i < names.length; i++) this.append(names[i], init[names[i]])
    } else {
      throw new NativeTypeError('Headers: init must be an object, an array of pairs or Headers')
    }
  }
  append(name, value) {
    const key = normalizeHeaderName(name)
    const values = apply(mapGet, this.#map, [key])
    if (values) apply(arrayPush, values, [NativeString(value)])
    else apply(mapSet, this.#map, [key, [NativeString(value)]])
  }
  set(name, value) {
    apply(mapSet, this.#map, [normalizeHeaderName(name), [NativeString(value)]])
  }
  get(name) {
    const values = apply(mapGet, this.#map, [normalizeHeaderName(name)])
    return values === undefined ? null : apply(arrayJoin, values, [', '])
  }
  has(name) {
    return apply(mapHas, this.#map, [normalizeHeaderName(name)])
  }
  delete(name) {
    apply(mapDelete, this.#map, [normalizeHeaderName(name)])
  }
  forEach(callback, thisArg) {
    apply(mapForEach, this.#map, [(values, name) => apply(callback, thisArg, [apply(arrayJoin, values, [', ']), name, this])])
  }
  *entries() {
    const pairs = []
    this.forEach((value, name) => apply(arrayPush, pairs, [[name, value]]))
    yield* pairs
  }
  *keys() {
    for (const [name] of this.entries()) yield name
  }
  *values() {
    for (const [, value] of this.entries()) yield value
  }
  [Symbol.iterator]() {
    return this.entries()
  }
}

class Response {
  #body
  #used = false
  constructor(body = null, init = {}) {
    if (body === null || body === undefined) this.#body = new ArrayBuffer(0)
    else if (typeof body === 'string') this.#body = encodeUtf8(body)
    else {
      const buffer = toArrayBuffer(body)
      if (buffer === undefined) throw new NativeTypeError('Response: body must be a string, an ArrayBuffer or a view')
      this.#body = buffer
    }
    this.status = init.status === undefined ? 200 : NativeNumber(init.status)
    this.statusText = init.statusText === undefined ? '' : NativeString(init.statusText)
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers)
    this.url = init.url === undefined ? '' : NativeString(init.url)
    this.redirected = NativeBoolean(init.redirected)
  }
  get ok() {
    return this.status >= 200 && this.status <= 299
  }
  get bodyUsed() {
    return this.#used
  }
  #consume() {
    if (this.#used) throw new NativeTypeError('Response: body has already been read')
    this.#used = true
    return this.#body
  }
  arrayBuffer() {
    return new NativePromise((resolve) => resolve(this.#consume()))
  }
  bytes() {
    return new NativePromise((resolve) => resolve(new NativeUint8Array(this.#consume())))
  }
  text() {
    return new NativePromise((resolve) => resolve(decodeUtf8(this.#consume(), false, false)))
  }
  json() {
    return new NativePromise((resolve) => resolve(jsonParse(decodeUtf8(this.#consume(), false, false))))
  }
}

return { Headers, Response }
})`

/** Helpers the host itself loads, only when an invocation fails or returns something unexpected. */
const hostHelpersPart = `(function hostHelpersPart(shared) {
'use strict'
const { NativeString, NativeError, jsonStringify, typedArrayKind, isArray } = shared
return {
  /** [name, message, stack] of a thrown value, as JSON (C strings end at NUL, so no separator tricks). */
  describe(thrown) {
    try {
      if (thrown instanceof NativeError) {
        const stack = typeof thrown.stack === 'string' ? thrown.stack : ''
        return jsonStringify([NativeString(thrown.name), NativeString(thrown.message), stack])
      }
      let shown
      try {
        shown = typeof thrown === 'string' ? thrown : jsonStringify(thrown)
      } catch {}
      if (shown === undefined) shown = NativeString(thrown)
      return jsonStringify(['', 'a non-Error value was thrown: ' + shown, ''])
    } catch {
      return jsonStringify(['', 'a value that cannot be described was thrown', ''])
    }
  },
  kindOf(value) {
    if (value === null) return 'null'
    const kind = typedArrayKind(value)
    if (kind !== undefined) return kind
    if (isArray(value)) return 'array'
    return typeof value
  },
}
})`

/** Part name -> source. */
export const lazyPartSources: Record<string, string> = {
  hostHelpers: hostHelpersPart,
  encoding: encodingPart,
  crypto: cryptoPart,
  deriveSecret: deriveSecretPart,
  timers: timersPart,
  fetchClasses: fetchClassesPart,
}

/** [global name, part that defines it]: what the prelude installs as lazy accessors (`console` and `fetch` are built by the host). */
export const lazyGlobals: [string, string][] = [
  ['console', 'console'],
  ['TextEncoder', 'encoding'],
  ['TextDecoder', 'encoding'],
  ['crypto', 'crypto'],
  ['deriveSecret', 'deriveSecret'],
  ['setTimeout', 'timers'],
  ['clearTimeout', 'timers'],
  ['queueMicrotask', 'timers'],
  ['fetch', 'fetch'],
  ['Headers', 'fetchClasses'],
  ['Response', 'fetchClasses'],
]
