import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'

export type ReadGuestStringParameters = {
  context: QuickJSContext
  /** A guest string. */
  handle: QuickJSHandle
  /** The guest's captured `JSON.stringify` (a new handle the caller's scope does not own: it is disposed here). */
  jsonStringify: () => QuickJSHandle
}

/**
 * A guest string, whole. quickjs-emscripten reads a string as a C string, which ends at its first NUL; a string
 * read shorter than the guest's `length` was cut there, so it is read again as JSON, whose escape has no NUL.
 */
export function readGuestString({ context, handle, jsonStringify }: ReadGuestStringParameters): string {
  const text = context.getString(handle)
  const length = context.getProp(handle, 'length').consume((value) => context.getNumber(value))
  if (length === text.length) return text
  using stringify = jsonStringify()
  using json = context.unwrapResult(context.callFunction(stringify, context.undefined, handle))
  return JSON.parse(context.getString(json)) as string
}
