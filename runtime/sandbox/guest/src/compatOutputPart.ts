import type { SharedBuiltins } from './captureBuiltins.js'

/**
 * `teefnCompatOutput(name, value)`: what a compat mode's runtime reports beside the result (Gelato's storage,
 * Lit's signatures). The value travels as JSON; the outcome carries it under `compat[name]`. It is not signed:
 * only the result is.
 */
export default function compatOutputPart(shared: SharedBuiltins) {
  const { host, jsonStringify, NativeTypeError } = shared
  const hostSetCompatOutput = host.setCompatOutput
  return {
    teefnCompatOutput: function teefnCompatOutput(name: unknown, value: unknown): void {
      // The host checks the name and the size.
      if (typeof name !== 'string') throw new NativeTypeError('teefnCompatOutput: name must be a string')
      const json = jsonStringify(value)
      if (typeof json !== 'string') throw new NativeTypeError('teefnCompatOutput: value must be JSON')
      hostSetCompatOutput(name, json)
    },
  }
}
