import { newQuickJSWASMModuleFromVariant, type QuickJSContext, RELEASE_SYNC } from 'quickjs-emscripten'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluateGuestFunction } from './evaluateGuestFunction.js'

let context: QuickJSContext

beforeAll(async () => {
  context = (await newQuickJSWASMModuleFromVariant(RELEASE_SYNC)).newContext()
})

afterAll(() => context?.dispose())

describe('evaluateGuestFunction', () => {
  it('evaluates guest code in strict mode, though the source does not ask for it', () => {
    using guest = evaluateGuestFunction(
      context,
      '(function () { const sloppyThis = this; try { undeclared = 1 } catch (e) { return [sloppyThis === undefined, e.name] } })',
      'strict-test',
    )
    using result = context.unwrapResult(context.callFunction(guest, context.undefined))
    expect(context.dump(result)).toEqual([true, 'ReferenceError'])
  })
})
