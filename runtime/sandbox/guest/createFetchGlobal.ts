import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'
import type { HostFetchRequest, HostFetchResponse } from '../../http/hostFetch.js'
import { createHeadersObject } from './createHeadersObject.js'
import type { InvocationSession } from './InvocationSession.js'

export type CreateFetchGlobalParameters = {
  context: QuickJSContext
  session: () => InvocationSession
  /** The prelude's `bytesOf` (a genuine Uint8Array's bytes) and the `JSON.parse` captured before the function ran. */
  guest: () => { bytesOf: QuickJSHandle; jsonParse: QuickJSHandle }
  /** Reads a guest string whole, NULs included (`readGuestString`). */
  readString: (handle: QuickJSHandle) => string
}

/**
 * `fetch`, built on the host: requests are read from the guest's arguments and responses are host
 * objects, so a function that fetches compiles no guest code for it (that cost more than the HTTP
 * round trip). The `Response` has `status`, `ok`, `statusText`, `url`, `redirected`, `bodyUsed`,
 * `headers` (`get`, `has`, `forEach`, `entries`, `keys`, `values`) and `text`, `json`, `arrayBuffer`, `bytes`.
 *
 * Besides `method`, `headers` and `body`, `init` takes `crossOriginHeaders`: names of headers that may follow a
 * redirect to another origin (by default only CORS-safelisted ones do). A response body counts against the
 * invocation's memory until the function reads it (into its own heap, which counts from then on).
 */
export function createFetchGlobal({
  context,
  session,
  guest,
  readString,
}: CreateFetchGlobalParameters): QuickJSHandle {
  return context.newFunction('fetch', (input, init) => {
    const current = session()
    const deferred = context.newPromise()
    let request: HostFetchRequest
    try {
      request = readRequest(input, init)
    } catch (error) {
      using reason = context.newError({ name: 'TypeError', message: (error as Error).message })
      deferred.reject(reason)
      return deferred.handle
    }
    current.deferreds.add(deferred)
    const settle = (build: () => void) => {
      if (current.ended || !deferred.alive) return
      try {
        build()
      } catch (error) {
        current.hostFailure ??= error
      }
      current.deferreds.delete(deferred)
      deferred.dispose()
      current.wake()
    }
    current
      .fetcher()
      .fetch(request)
      .then(
        (response) =>
          settle(() => {
            using answer = createResponse(response)
            deferred.resolve(answer)
          }),
        (error: { code?: string; message?: string }) =>
          settle(() => {
            const code = error.code ?? 'NETWORK_ERROR'
            using reason = context.newError({
              name: 'FetchError',
              message: `${code}: ${error.message ?? String(error)}`,
            })
            using codeHandle = context.newString(code)
            context.setProp(reason, 'code', codeHandle)
            deferred.reject(reason)
          }),
      )
    return deferred.handle
  })

  function readRequest(input: QuickJSHandle, init: QuickJSHandle | undefined): HostFetchRequest {
    const url = readUrl(input)
    if (!init || context.typeof(init) !== 'object' || isNull(init)) return { url }
    const request: HostFetchRequest = { url }
    const method = readOptional(init, 'method')
    if (method !== undefined) request.method = method.toUpperCase()
    using headers = context.getProp(init, 'headers')
    if (context.typeof(headers) === 'object' && !isNull(headers)) request.headers = readHeaders(headers)
    using body = context.getProp(init, 'body')
    const bodyType = context.typeof(body)
    if (bodyType === 'string') request.body = readString(body)
    else if (bodyType === 'object' && !isNull(body)) request.body = readBytes(body)
    else if (bodyType !== 'undefined')
      throw new TypeError('fetch: body must be a string, a Uint8Array or an ArrayBuffer')
    using allowed = context.getProp(init, 'crossOriginHeaders')
    if (context.typeof(allowed) !== 'undefined') request.crossOriginHeaders = readNames(allowed)
    return request
  }

  /** `crossOriginHeaders`: an array of header names. */
  function readNames(names: QuickJSHandle): string[] {
    const length = isArray(names) ? (lengthOf(names) ?? 0) : -1
    if (length < 0 || length > maxCrossOriginHeaders)
      throw new TypeError(
        `fetch: crossOriginHeaders must be an array of at most ${maxCrossOriginHeaders} header names`,
      )
    const read: string[] = []
    for (let i = 0; i < length; i++) {
      using name = context.getProp(names, i)
      if (context.typeof(name) !== 'string')
        throw new TypeError('fetch: crossOriginHeaders must hold strings')
      read.push(context.getString(name))
    }
    return read
  }

  function readUrl(input: QuickJSHandle): string {
    if (context.typeof(input) === 'string') return context.getString(input)
    if (context.typeof(input) === 'object' && !isNull(input)) {
      for (const key of ['url', 'href']) {
        const value = readOptional(input, key)
        if (value !== undefined) return value
      }
    }
    throw new TypeError('fetch: the first argument must be a URL string')
  }

  /** Pairs from an array of pairs, a `Headers` (anything with `forEach`) or a plain object. */
  function readHeaders(headers: QuickJSHandle): [string, string][] {
    const pairs: [string, string][] = []
    if (isArray(headers)) {
      const length = lengthOf(headers) ?? 0
      for (let i = 0; i < length; i++) {
        using pair = context.getProp(headers, i)
        using name = context.getProp(pair, 0)
        using value = context.getProp(pair, 1)
        pairs.push([context.dump(name) as string, String(context.dump(value))])
      }
      return pairs
    }
    using forEach = context.getProp(headers, 'forEach')
    if (context.typeof(forEach) === 'function') {
      using collect = context.newFunction('collect', (value, name) => {
        pairs.push([context.getString(name), context.getString(value)])
        return undefined
      })
      context.unwrapResult(context.callFunction(forEach, headers, collect)).dispose()
      return pairs
    }
    // Object.keys in the guest, not context.getOwnPropertyNames: that one mallocs the array QuickJS later frees with
    // js_free, which corrupts the heap (justjake/quickjs-emscripten#262); it crashed once ethers v5 had run.
    using ObjectConstructor = context.getProp(context.global, 'Object')
    using names = context.unwrapResult(context.callMethod(ObjectConstructor, 'keys', [headers]))
    const length = lengthOf(names) ?? 0
    for (let i = 0; i < length; i++) {
      using name = context.getProp(names, i)
      using value = context.getProp(headers, name)
      pairs.push([context.getString(name), String(context.dump(value))])
    }
    return pairs
  }

  function readBytes(body: QuickJSHandle): Uint8Array {
    const viewed = context.callFunction(guest().bytesOf, context.undefined, body)
    using bytes = viewed.error ?? viewed.value
    if (!viewed.error && context.typeof(bytes) === 'object') {
      return context.getArrayBuffer(bytes).consume((view) => view.value.slice())
    }
    try {
      return context.getArrayBuffer(body).consume((view) => view.value.slice())
    } catch {
      throw new TypeError('fetch: body must be a string, a Uint8Array or an ArrayBuffer')
    }
  }

  function createResponse(response: HostFetchResponse): QuickJSHandle {
    const answer = context.newObject()
    let bodyUsed = false
    // Held until the function reads it: then its bytes are in the guest's heap, and the host lets go.
    let body: Uint8Array | undefined = response.body
    const reservation = response.memory
    const setValue = (key: string, value: QuickJSHandle) => {
      context.setProp(answer, key, value)
      value.dispose()
    }
    setValue('status', context.newNumber(response.status))
    setValue('statusText', context.newString(response.statusText))
    setValue('url', context.newString(response.url))
    context.setProp(
      answer,
      'ok',
      response.status >= 200 && response.status <= 299 ? context.true : context.false,
    )
    context.setProp(answer, 'redirected', response.redirected ? context.true : context.false)
    context.defineProp(answer, 'bodyUsed', {
      enumerable: true,
      get: () => (bodyUsed ? context.true : context.false),
    })
    using headers = createHeadersObject(context, response.headers)
    context.setProp(answer, 'headers', headers)

    const bodyMethod = (name: string, read: (body: Uint8Array) => QuickJSHandle) => {
      using method = context.newFunction(name, () => {
        const deferred = context.newPromise()
        if (bodyUsed) {
          using reason = context.newError({
            name: 'TypeError',
            message: 'Response: body has already been read',
          })
          deferred.reject(reason)
          return deferred.handle
        }
        bodyUsed = true
        const bytes = body!
        body = undefined
        let value: QuickJSHandle
        try {
          value = read(bytes)
        } catch (error) {
          using reason = isHandle(error)
            ? error
            : context.newError({ name: 'TypeError', message: String(error) })
          deferred.reject(reason)
          return deferred.handle
        } finally {
          reservation?.release()
        }
        deferred.resolve(value)
        value.dispose()
        return deferred.handle
      })
      context.setProp(answer, name, method)
    }
    bodyMethod('arrayBuffer', (body) => context.newArrayBuffer(copy(body)))
    bodyMethod('text', (body) => context.newString(new TextDecoder().decode(body)))
    bodyMethod('json', (body) => {
      using text = context.newString(new TextDecoder().decode(body))
      const parsed = context.callFunction(guest().jsonParse, context.undefined, text)
      if (parsed.error) throw parsed.error
      return parsed.value
    })
    bodyMethod('bytes', (body) => {
      using buffer = context.newArrayBuffer(copy(body))
      using Uint8ArrayConstructor = context.getProp(context.global, 'Uint8Array')
      const created = context.callMethod(Uint8ArrayConstructor, 'from', [buffer])
      if (created.error) throw created.error
      return created.value
    })
    return answer
  }

  function readOptional(object: QuickJSHandle, key: string): string | undefined {
    using value = context.getProp(object, key)
    const type = context.typeof(value)
    if (type === 'undefined') return undefined
    if (type === 'string') return context.getString(value)
    return String(context.dump(value))
  }

  /**
   * An array's `length` read as a property. `context.getLength` reads it through a view of the wasm memory made
   * once per context, which goes stale when the memory grows (after a large bundle loads) and then reads 0.
   */
  function lengthOf(handle: QuickJSHandle): number | undefined {
    using length = context.getProp(handle, 'length')
    return context.typeof(length) === 'number' ? context.getNumber(length) : undefined
  }

  function isNull(handle: QuickJSHandle): boolean {
    return context.sameValue(handle, context.null)
  }

  function isArray(handle: QuickJSHandle): boolean {
    using ArrayConstructor = context.getProp(context.global, 'Array')
    using result = context.unwrapResult(context.callMethod(ArrayConstructor, 'isArray', [handle]))
    return context.dump(result) === true
  }
}

const maxCrossOriginHeaders = 64

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

function isHandle(value: unknown): value is QuickJSHandle {
  return typeof value === 'object' && value !== null && 'dispose' in value && 'alive' in value
}
