import type { SharedBuiltins } from './captureBuiltins.js'

type ResponseInit = {
  status?: unknown
  statusText?: unknown
  headers?: unknown
  url?: unknown
  redirected?: unknown
}

/**
 * `Headers` and `Response` for functions that build them (a mock, a cache): `fetch` itself answers with
 * host objects (`createFetchGlobal.ts`) and does not need this part.
 */
export default function fetchClassesPart(shared: SharedBuiltins) {
  const {
    host,
    apply,
    objectKeys,
    isArray,
    jsonParse,
    NativePromise,
    NativeString,
    NativeNumber,
    NativeBoolean,
    NativeTypeError,
    NativeUint8Array,
    NativeMap,
    mapGet,
    mapSet,
    mapDelete,
    mapHas,
    mapForEach,
    arrayPush,
    arrayJoin,
    stringToLowerCase,
    toArrayBuffer,
  } = shared
  type HeadersInit = Headers | [unknown, unknown][] | Record<string, unknown>
  const encodeUtf8 = host.encodeUtf8
  const decodeUtf8 = host.decodeUtf8

  function normalizeHeaderName(name: unknown): string {
    const lower: string = apply(stringToLowerCase, NativeString(name), [])
    if (lower.length === 0) throw new NativeTypeError('Headers: header name must not be empty')
    return lower
  }

  class Headers {
    #map: Map<string, string[]> = new NativeMap()
    constructor(init?: HeadersInit | null) {
      if (init === undefined || init === null) return
      if (init instanceof Headers) {
        init.forEach((value, name) => {
          this.append(name, value)
        })
      } else if (isArray(init)) {
        for (let i = 0; i < init.length; i++) this.append(init[i]![0], init[i]![1])
      } else if (typeof init === 'object') {
        const names = objectKeys(init)
        for (let i = 0; i < names.length; i++) this.append(names[i], init[names[i]!])
      } else {
        throw new NativeTypeError('Headers: init must be an object, an array of pairs or Headers')
      }
    }
    append(name: unknown, value: unknown): void {
      const key = normalizeHeaderName(name)
      const values: string[] | undefined = apply(mapGet, this.#map, [key])
      if (values) apply(arrayPush, values, [NativeString(value)])
      else apply(mapSet, this.#map, [key, [NativeString(value)]])
    }
    set(name: unknown, value: unknown): void {
      apply(mapSet, this.#map, [normalizeHeaderName(name), [NativeString(value)]])
    }
    get(name: unknown): string | null {
      const values: string[] | undefined = apply(mapGet, this.#map, [normalizeHeaderName(name)])
      return values === undefined ? null : apply(arrayJoin, values, [', '])
    }
    has(name: unknown): boolean {
      return apply(mapHas, this.#map, [normalizeHeaderName(name)])
    }
    delete(name: unknown): void {
      apply(mapDelete, this.#map, [normalizeHeaderName(name)])
    }
    forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
      apply(mapForEach, this.#map, [
        (values: string[], name: string) =>
          apply(callback, thisArg, [apply(arrayJoin, values, [', ']), name, this]),
      ])
    }
    *entries(): Generator<[string, string]> {
      const pairs: [string, string][] = []
      this.forEach((value, name) => {
        apply(arrayPush, pairs, [[name, value]])
      })
      yield* pairs
    }
    *keys(): Generator<string> {
      for (const [name] of this.entries()) yield name
    }
    *values(): Generator<string> {
      for (const [, value] of this.entries()) yield value
    }
    [Symbol.iterator]() {
      return this.entries()
    }
  }

  class Response {
    #body: ArrayBuffer
    #used = false
    // Assigned in the constructor, as before: `declare` emits no field definitions.
    declare status: number
    declare statusText: string
    declare headers: Headers
    declare url: string
    declare redirected: boolean
    constructor(body: unknown = null, init: ResponseInit = {}) {
      if (body === null || body === undefined) this.#body = new ArrayBuffer(0)
      else if (typeof body === 'string') this.#body = encodeUtf8(body)
      else {
        const buffer = toArrayBuffer(body)
        if (buffer === undefined)
          throw new NativeTypeError('Response: body must be a string, an ArrayBuffer or a view')
        this.#body = buffer
      }
      this.status = init.status === undefined ? 200 : NativeNumber(init.status)
      this.statusText = init.statusText === undefined ? '' : NativeString(init.statusText)
      this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers as HeadersInit)
      this.url = init.url === undefined ? '' : NativeString(init.url)
      this.redirected = NativeBoolean(init.redirected)
    }
    get ok(): boolean {
      return this.status >= 200 && this.status <= 299
    }
    get bodyUsed(): boolean {
      return this.#used
    }
    #consume(): ArrayBuffer {
      if (this.#used) throw new NativeTypeError('Response: body has already been read')
      this.#used = true
      return this.#body
    }
    arrayBuffer(): Promise<ArrayBuffer> {
      return new NativePromise((resolve) => resolve(this.#consume()))
    }
    bytes(): Promise<Uint8Array> {
      return new NativePromise((resolve) => resolve(new NativeUint8Array(this.#consume())))
    }
    text(): Promise<string> {
      return new NativePromise((resolve) => resolve(decodeUtf8(this.#consume(), false, false)))
    }
    json(): Promise<unknown> {
      return new NativePromise((resolve) => resolve(jsonParse(decodeUtf8(this.#consume(), false, false))))
    }
  }

  return { Headers, Response }
}
