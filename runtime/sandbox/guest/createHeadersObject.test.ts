import { newQuickJSWASMModuleFromVariant, type QuickJSContext, RELEASE_SYNC } from 'quickjs-emscripten'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHeadersObject } from './createHeadersObject.js'

let context: QuickJSContext

beforeAll(async () => {
  context = (await newQuickJSWASMModuleFromVariant(RELEASE_SYNC)).newContext()
})

afterAll(() => context?.dispose())

describe('createHeadersObject', () => {
  it('reads names case-insensitively, joins repeated ones, and lists them', () => {
    using headers = createHeadersObject(context, [
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ])
    context.setProp(context.global, 'headers', headers)
    using result = context.unwrapResult(
      context.evalCode(`(() => {
        const seen = []
        headers.forEach((value, name) => seen.push(name + '=' + value))
        return [headers.get('Content-Type'), headers.get('x-missing'), headers.has('SET-COOKIE'),
          headers.entries(), headers.keys(), headers.values(), seen]
      })()`),
    )
    expect(context.dump(result)).toEqual([
      'text/plain',
      null,
      true,
      [
        ['content-type', 'text/plain'],
        ['set-cookie', 'a=1, b=2'],
      ],
      ['content-type', 'set-cookie'],
      ['text/plain', 'a=1, b=2'],
      ['content-type=text/plain', 'set-cookie=a=1, b=2'],
    ])
  })
})
