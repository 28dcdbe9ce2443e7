import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'

/**
 * Evaluates one of the guest sources (a function expression, see `loadGuestSources`) and returns the
 * function. The sources carry no `'use strict'` (as ES modules they need none): strict mode comes from here.
 */
export function evaluateGuestFunction(context: QuickJSContext, source: string, name: string): QuickJSHandle {
  return context.unwrapResult(context.evalCode(source, `teefn-${name}.js`, { type: 'global', strict: true }))
}
