import type { SharedBuiltins } from './captureBuiltins.js'

/** `setTimeout`, `clearTimeout` (host timers, which never extend the deadline) and `queueMicrotask`. */
export default function timersPart(shared: SharedBuiltins) {
  const { host, apply, NativeNumber, NativeTypeError, NativePromise, promiseThen, promiseResolve } = shared
  const setTimer = host.setTimer
  const clearTimer = host.clearTimer
  return {
    setTimeout: function setTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): number {
      if (typeof callback !== 'function') throw new NativeTypeError('setTimeout: callback must be a function')
      return setTimer(() => apply(callback, undefined, args), NativeNumber(delay) || 0)
    },
    clearTimeout: function clearTimeout(id: unknown): void {
      if (typeof id === 'number') clearTimer(id)
    },
    queueMicrotask: function queueMicrotask(callback: unknown): void {
      if (typeof callback !== 'function')
        throw new NativeTypeError('queueMicrotask: callback must be a function')
      apply(promiseThen, apply(promiseResolve, NativePromise, []), [() => callback()])
    },
  }
}
