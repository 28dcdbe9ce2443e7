import { newQuickJSWASMModuleFromVariant, type QuickJSContext, RELEASE_SYNC } from 'quickjs-emscripten'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluateGuestFunction } from './evaluateGuestFunction.js'
import { lazyGlobals } from './lazyGlobals.js'
import { guestPartFiles, loadGuestSources, toGuestFunction } from './loadGuestSources.js'

let context: QuickJSContext

beforeAll(async () => {
  context = (await newQuickJSWASMModuleFromVariant(RELEASE_SYNC)).newContext()
})

afterAll(() => context?.dispose())

describe('loadGuestSources', () => {
  it('gives every guest file as a minified function expression QuickJS evaluates', () => {
    const { prelude, shared, parts } = loadGuestSources()
    const sources = { prelude, shared, ...parts }
    expect(Object.keys(parts).sort()).toEqual(Object.keys(guestPartFiles).sort())
    for (const [name, source] of Object.entries(sources)) {
      expect(source, name).toMatch(/^\(function\(/)
      // Minified: no comments, no line breaks, no types left.
      expect(source, name).not.toMatch(/\n|\/\*\*|: unknown|import /)
      using guest = evaluateGuestFunction(context, source, name)
      expect(context.typeof(guest), name).toBe('function')
    }
  })

  it('has a part for every lazy global the host does not build itself, and no part nobody loads', () => {
    const loadedLazily = new Set(lazyGlobals.map(([, part]) => part))
    for (const part of loadedLazily) {
      if (part !== 'console' && part !== 'fetch' && part !== 'syncHttp')
        expect(guestPartFiles, part).toHaveProperty(part)
    }
    // `hostHelpers` is loaded by the host itself (Sandbox), not through a global.
    for (const part of Object.keys(guestPartFiles))
      expect(loadedLazily.has(part) || part === 'hostHelpers', part).toBe(true)
  })
})

describe('toGuestFunction', () => {
  const options = { name: 'test.ts', loader: 'ts' } as const

  it('drops types and type imports, keeping only the function', () => {
    const source = [
      "import type { X } from './X.js'",
      'export type Y = { a: number }',
      '/** Doc. */',
      'export default function install(host: X, json: string): Y {',
      '  return { a: json.length }',
      '}',
    ].join('\n')
    // esbuild picks the short names.
    expect(toGuestFunction(source, options)).toMatch(/^\(function\(\w,(\w)\)\{return\{a:\1\.length\}\}\)$/)
  })

  it('refuses a file with code outside its default export, or without one', () => {
    const refused = [
      'const a = 1\nexport default function f() { return a }',
      'export default function f() {}\nglobalThis.x = 1',
      "import { a } from './a.js'\nexport default function f() { return a }",
      'export function f() {}',
      'export default function f() {}\nexport default function g() {}',
    ]
    for (const source of refused)
      expect(() => toGuestFunction(source, options), source).toThrow(/holds one `export default function`/)
  })
})
