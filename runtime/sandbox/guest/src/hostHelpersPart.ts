import type { SharedBuiltins } from './captureBuiltins.js'
import type { DescribeIntrinsics } from './installGlobals.js'

/**
 * Helpers the host itself loads, only when an invocation fails or returns something unexpected. `describe`
 * uses only the built-ins the prelude took before the function ran (`intrinsics`).
 */
export default function hostHelpersPart(shared: SharedBuiltins, intrinsics: DescribeIntrinsics) {
  const { typedArrayKind, isArray } = shared
  // Longest name, and message or stack, passed on; own properties of a non-Error shown; prototypes followed.
  const maxNameLength = 128
  const maxTextLength = 4096
  const maxShownProperties = 16
  const maxPrototypeDepth = 32
  // Indexed reads of the prelude's own array: no iterator the function could have replaced.
  const getOwnPropertyDescriptor = intrinsics[0]
  const getPrototypeOf = intrinsics[1]
  const objectKeys = intrinsics[2]
  const jsonStringify = intrinsics[3]
  const stringSlice = intrinsics[4]
  const apply = intrinsics[5]
  const errorClasses = intrinsics[6]
  const errorNames = [
    'Error',
    'TypeError',
    'RangeError',
    'ReferenceError',
    'SyntaxError',
    'EvalError',
    'URIError',
    'InternalError',
    'AggregateError',
  ]

  /** A string own data property of `value`, cut to `max`; never a getter, never the prototype chain. */
  function ownText(value: object, key: string, max: number): string {
    const descriptor = getOwnPropertyDescriptor(value, key)
    if (descriptor === undefined || !('value' in descriptor) || typeof descriptor.value !== 'string')
      return ''
    const text: string = descriptor.value
    return text.length > max ? apply(stringSlice, text, [0, max]) : text
  }

  /** The nearest built-in error class on the prototype chain, found by identity: no property of it is read. */
  function errorClassOf(value: object): string | undefined {
    let prototype: object | null = getPrototypeOf(value)
    for (let depth = 0; prototype !== null && depth < maxPrototypeDepth; depth++) {
      for (let i = 0; i < errorClasses.length; i++) {
        if (errorClasses[i] !== undefined && errorClasses[i]!.prototype === prototype) return errorNames[i]
      }
      prototype = getPrototypeOf(prototype)
    }
    return undefined
  }

  /** A primitive as text; objects and functions as their kind. Runs no code of the function's. */
  function primitiveText(value: unknown): string {
    if (typeof value === 'string')
      return value.length > maxTextLength ? apply(stringSlice, value, [0, maxTextLength]) : value
    if (typeof value === 'symbol') return '[symbol]'
    if (typeof value === 'object' && value !== null) return '[object]'
    if (typeof value === 'function') return '[function]'
    return `${value as number | boolean | bigint | null | undefined}`
  }

  /** Up to 16 own enumerable data properties that hold primitives, as JSON: `{"code":42}`. */
  function shownProperties(value: object): string {
    const shown: Record<string, unknown> = { __proto__: null } as unknown as Record<string, unknown>
    const keys = objectKeys(value)
    for (let i = 0; i < keys.length && i < maxShownProperties; i++) {
      const descriptor = getOwnPropertyDescriptor(value, keys[i]!)
      if (descriptor === undefined || !('value' in descriptor)) continue
      const inner: unknown = descriptor.value
      shown[apply(stringSlice, keys[i]!, [0, maxNameLength])] =
        typeof inner === 'number' || typeof inner === 'boolean' || inner === null
          ? inner
          : primitiveText(inner)
    }
    return jsonStringify(shown)
  }

  return {
    /**
     * [name, message, stack] of a thrown value, as JSON (C strings end at NUL, so no separator tricks). Only
     * own data properties are read: a getter or a toString of the function's never runs here. A Proxy's traps
     * still can, under the invocation's memory limit and deadline, which stay in force while this runs.
     */
    describe(thrown: unknown): string {
      try {
        if ((typeof thrown === 'object' && thrown !== null) || typeof thrown === 'function') {
          const errorClass = errorClassOf(thrown)
          if (errorClass !== undefined) {
            const name = ownText(thrown, 'name', maxNameLength) || errorClass
            const message = ownText(thrown, 'message', maxTextLength)
            return jsonStringify([name, message, ownText(thrown, 'stack', maxTextLength)])
          }
          return jsonStringify(['', `a non-Error value was thrown: ${shownProperties(thrown)}`, ''])
        }
        return jsonStringify(['', `a non-Error value was thrown: ${primitiveText(thrown)}`, ''])
      } catch {
        return jsonStringify(['', 'a value that cannot be described was thrown', ''])
      }
    },
    /** A short name of the value's type: `null`, `array`, a typed array's kind, or its `typeof`. */
    kindOf(value: unknown): string {
      if (value === null) return 'null'
      const kind = typedArrayKind(value)
      if (kind !== undefined) return kind
      if (isArray(value)) return 'array'
      return typeof value
    },
  }
}
