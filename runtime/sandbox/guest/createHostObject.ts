import { randomBytes } from 'node:crypto'
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'
import { deriveSecretFromFunctionKey } from '../../enclave/deriveSecretFromFunctionKey.js'
import type { LogLevel } from '../types.js'
import { createFetchGlobal } from './createFetchGlobal.js'
import { createSyncHttpGlobal } from './createSyncHttpGlobal.js'
import { evaluateGuestFunction } from './evaluateGuestFunction.js'
import { formatLogArgument } from './formatLogArgument.js'
import type { InvocationSession } from './InvocationSession.js'
import { readGuestString } from './readGuestString.js'
import type { GuestHost } from './src/GuestHost.js'

export type GuestHelpers = {
  /** `describe(thrown)`: JSON of [name, message, stack]. */
  describe: QuickJSHandle
  /** `kindOf(value)`: a short name of the value's type. */
  kindOf: QuickJSHandle
}

export type CreateHostObjectParameters = {
  context: QuickJSContext
  /** Sources of the lazily compiled web APIs, by part name. */
  parts: Record<string, string>
  /** The captured built-ins every part receives. */
  shared: () => QuickJSHandle
  /** The running invocation; host functions are only called while one runs. */
  session: () => InvocationSession
  helpers: () => GuestHelpers
  /** The prelude's `bytesOf` and captured `JSON.parse`, for `fetch`. */
  prelude: () => { bytesOf: QuickJSHandle; jsonParse: QuickJSHandle }
}

const logLevels = new Set<LogLevel>(['log', 'info', 'warn', 'error', 'debug'])
const maxPendingTimers = 1000
const maxCompatOutputChars = 256 * 1024
const compatOutputName = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const beyondLatin1 = /[\u0100-\uffff]/
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * The object the prelude receives as `host` (typed for the guest as `GuestHost`): the only way guest code
 * reaches the worker. Each function validates what the guest passes; errors thrown here reach the guest as
 * ordinary exceptions, so they are the web APIs' plain `Error`, `RangeError` and `DOMException`, never a
 * `BaseError` (whose class name, details and hint are the host's).
 */
export function createHostObject({
  context,
  parts,
  shared,
  session,
  helpers,
  prelude,
}: CreateHostObjectParameters): QuickJSHandle {
  const host = context.newObject()
  const define = (
    name: keyof GuestHost,
    implementation: (...args: QuickJSHandle[]) => QuickJSHandle | undefined,
  ) => {
    using fn = context.newFunction(name, implementation)
    context.setProp(host, name, fn)
  }

  // quickjs-emscripten passes a string as a C string, which ends at its first NUL: one that holds a NUL (binary
  // text from atob, a decoded buffer) crosses as JSON, whose escape has none, and the guest's JSON.parse reads it.
  const newGuestString = (text: string): QuickJSHandle => {
    if (!text.includes('\0')) return context.newString(text)
    using json = context.newString(JSON.stringify(text))
    return context.unwrapResult(context.callFunction(prelude().jsonParse, context.undefined, json))
  }
  // The other way, the same (readGuestString).
  const getGuestString = (handle: QuickJSHandle): string =>
    readGuestString({ context, handle, jsonStringify: () => context.getProp(shared(), 'jsonStringify') })

  define('loadPart', (name) => {
    const part = context.getString(name)
    if (part === 'console') return createConsole()
    if (part === 'fetch')
      return globalsOf(
        'fetch',
        createFetchGlobal({ context, session, guest: prelude, readString: getGuestString }),
      )
    if (part === 'syncHttp') {
      using fn = createSyncHttpGlobal({ context, session })
      return globalsOf('teefnHttpRequestsSync', fn)
    }
    const source = parts[part]
    if (source === undefined) throw new Error(`teefn: no part named ${part}`)
    using install = evaluateGuestFunction(context, source, part)
    return context.unwrapResult(context.callFunction(install, context.undefined, shared()))
  })

  define('encodeUtf8', (text) => context.newArrayBuffer(toArrayBuffer(Buffer.from(getGuestString(text)))))

  define('decodeUtf8', (buffer, fatal, ignoreBOM) => {
    using bytes = context.getArrayBuffer(buffer)
    const decoder = new TextDecoder('utf-8', {
      fatal: context.dump(fatal) === true,
      ignoreBOM: context.dump(ignoreBOM) === true,
    })
    return newGuestString(decoder.decode(bytes.value))
  })

  define('btoa', (text) => {
    const value = getGuestString(text)
    if (beyondLatin1.test(value))
      throw new DOMExceptionLike('btoa: the string has characters outside Latin-1')
    return context.newString(Buffer.from(value, 'latin1').toString('base64'))
  })

  define('atob', (text) => {
    let value = context.getString(text).replace(/[\t\n\f\r ]/g, '')
    if (value.length % 4 === 0) value = value.replace(/={1,2}$/, '')
    if (value.length % 4 === 1 || !base64Text.test(value)) {
      throw new DOMExceptionLike('atob: the string is not valid base64')
    }
    return newGuestString(Buffer.from(value, 'base64').toString('latin1'))
  })

  define('randomBytes', (length) => {
    const size = context.getNumber(length)
    if (!Number.isInteger(size) || size < 0 || size > 65_536)
      throw new RangeError('randomBytes: 0 to 65536 bytes')
    return context.newArrayBuffer(toArrayBuffer(randomBytes(size)))
  })

  define('deriveSecret', (path) => {
    const key = session().functionKey
    if (!key) {
      throw new Error(
        'deriveSecret: this invocation has no function key (it runs outside a worker enclave or without a functionId)',
      )
    }
    return context.newArrayBuffer(toArrayBuffer(deriveSecretFromFunctionKey(key, context.getString(path))))
  })

  define('setCompatOutput', (name, json) => {
    const key = context.getString(name)
    if (!compatOutputName.test(key))
      throw new TypeError('teefnCompatOutput: name must be an identifier of at most 64 characters')
    const outputs = session().compatOutputs
    const text = context.getString(json)
    let total = text.length + key.length
    for (const [other, value] of outputs) if (other !== key) total += other.length + value.length
    if (total > maxCompatOutputChars) {
      throw new RangeError(
        `teefnCompatOutput: side outputs are limited to ${maxCompatOutputChars} characters`,
      )
    }
    outputs.set(key, text)
    return undefined
  })

  define('setTimer', (callback, delay) => {
    const current = session()
    if (current.timers.size >= maxPendingTimers) {
      throw new Error(`setTimeout: at most ${maxPendingTimers} timers may be pending`)
    }
    const id = ++current.nextTimerId
    const owned = callback.dup()
    const delayMs = Math.min(Math.max(0, context.getNumber(delay) || 0), 2 ** 31 - 1)
    const timer = setTimeout(() => {
      current.timers.delete(id)
      if (current.ended) return owned.dispose()
      const result = context.callFunction(owned, context.undefined)
      owned.dispose()
      if (result.error) {
        using error = result.error
        if (!current.interrupted)
          current.logs.add('error', `Uncaught in a setTimeout callback: ${describe(error)}`)
      } else {
        result.value.dispose()
      }
      current.wake()
    }, delayMs)
    current.timers.set(id, { timer, callback: owned })
    return context.newNumber(id)
  })

  define('clearTimer', (id) => {
    const current = session()
    const key = context.getNumber(id)
    const entry = current.timers.get(key)
    if (entry) {
      clearTimeout(entry.timer)
      entry.callback.dispose()
      current.timers.delete(key)
    }
    return undefined
  })

  return host

  /** `console`, formatted on the host: a function that logs pays for no guest code. */
  function createConsole(): QuickJSHandle {
    using consoleObject = context.newObject()
    for (const level of logLevels) {
      using fn = context.newFunction(level, function (this: QuickJSHandle, ...args) {
        const logs = session().logs
        if (!logs.full)
          logs.add(level, args.map((argument) => formatLogArgument(context, argument)).join(' '))
        // Once the budget is spent, later calls should not even cross into the host.
        if (logs.full) silence(this)
        return undefined
      })
      context.setProp(consoleObject, level, fn)
    }
    using debug = context.getProp(consoleObject, 'debug')
    context.setProp(consoleObject, 'trace', debug)
    return globalsOf('console', consoleObject)
  }

  /** What a part returns: an object of the globals it defines. */
  function globalsOf(name: string, value: QuickJSHandle): QuickJSHandle {
    const globals = context.newObject()
    context.setProp(globals, name, value)
    if (name === 'fetch') value.dispose()
    return globals
  }

  function silence(consoleObject: QuickJSHandle): void {
    if (context.typeof(consoleObject) !== 'object') return
    using noop = context.unwrapResult(context.evalCode('(function () {})', 'teefn-console.js'))
    for (const level of [...logLevels, 'trace']) context.setProp(consoleObject, level, noop)
  }

  function describe(error: QuickJSHandle): string {
    const result = context.callFunction(helpers().describe, context.undefined, error)
    using described = result.error ?? result.value
    if (result.error) return 'an error that cannot be described'
    const [name, message] = JSON.parse(context.getString(described)) as [string, string]
    return name ? `${name}: ${message}` : message
  }
}

/** An exact-size ArrayBuffer copy (Node Buffers may share a larger pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/** What browsers throw as a DOMException named InvalidCharacterError; here a plain Error with that name. */
class DOMExceptionLike extends Error {
  override name = 'InvalidCharacterError'
}
