import type { SharedBuiltins } from './captureBuiltins.js'

/** Helpers the host itself loads, only when an invocation fails or returns something unexpected. */
export default function hostHelpersPart(shared: SharedBuiltins) {
  const { NativeString, NativeError, jsonStringify, typedArrayKind, isArray } = shared
  return {
    /** [name, message, stack] of a thrown value, as JSON (C strings end at NUL, so no separator tricks). */
    describe(thrown: unknown): string {
      try {
        if (thrown instanceof NativeError) {
          const stack = typeof thrown.stack === 'string' ? thrown.stack : ''
          return jsonStringify([NativeString(thrown.name), NativeString(thrown.message), stack])
        }
        let shown: string | undefined
        try {
          shown = typeof thrown === 'string' ? thrown : jsonStringify(thrown)
        } catch {}
        if (shown === undefined) shown = NativeString(thrown)
        return jsonStringify(['', `a non-Error value was thrown: ${shown}`, ''])
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
