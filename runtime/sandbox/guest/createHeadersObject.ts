import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'

/**
 * The read-only `Headers` view a fetch `Response` has in the guest (`get`, `has`, `forEach`, `entries`, `keys`,
 * `values`): names lower-case, repeated names joined with `, `. The caller owns the handle it returns.
 */
export function createHeadersObject(context: QuickJSContext, list: [string, string][]): QuickJSHandle {
  const joined = new Map<string, string>()
  for (const [name, value] of list)
    joined.set(name, joined.has(name) ? `${joined.get(name)}, ${value}` : value)
  const headers = context.newObject()
  const method = (name: string, implementation: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
    using fn = context.newFunction(name, implementation)
    context.setProp(headers, name, fn)
  }
  const nameOf = (handle: QuickJSHandle) => String(context.dump(handle)).toLowerCase()
  method('get', (name) => {
    const value = joined.get(nameOf(name))
    return value === undefined ? context.null : context.newString(value)
  })
  method('has', (name) => (joined.has(nameOf(name)) ? context.true : context.false))
  method('forEach', (callback) => {
    for (const [name, value] of joined) {
      using valueHandle = context.newString(value)
      using nameHandle = context.newString(name)
      context
        .unwrapResult(context.callFunction(callback, context.undefined, valueHandle, nameHandle))
        .dispose()
    }
    return undefined
  })
  const list2 = (pick: (entry: [string, string]) => string | [string, string]) => {
    const array = context.newArray()
    let index = 0
    for (const entry of joined) {
      const picked = pick(entry)
      using item = typeof picked === 'string' ? context.newString(picked) : pairHandle(context, picked)
      context.setProp(array, index++, item)
    }
    return array
  }
  method('entries', () => list2((entry) => entry))
  method('keys', () => list2(([name]) => name))
  method('values', () => list2(([, value]) => value))
  return headers
}

function pairHandle(context: QuickJSContext, [name, value]: [string, string]): QuickJSHandle {
  const pair = context.newArray()
  using nameHandle = context.newString(name)
  using valueHandle = context.newString(value)
  context.setProp(pair, 0, nameHandle)
  context.setProp(pair, 1, valueHandle)
  return pair
}
