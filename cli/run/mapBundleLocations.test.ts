import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../build/bundleFunction.js'
import { mapBundleLocations } from './mapBundleLocations.js'

const dir = mkdtempSync(join(tmpdir(), 'teefn-map-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The 1-based line and column of `needle` in `text`. */
function positionOf(text: string, needle: string): [number, number] {
  const lines = text.split('\n')
  const line = lines.findIndex((entry) => entry.includes(needle))
  return [line + 1, lines[line]!.indexOf(needle) + 1]
}

describe('mapBundleLocations', () => {
  it('maps a position in the bundle back to the TypeScript file and line it came from', async () => {
    writeFileSync(
      join(dir, 'helper.ts'),
      [
        '// a comment, so that lines differ',
        'type Unused = { a: string }',
        '',
        'export function fail(): never {',
        '  throw new Error("boom")',
        '}',
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(dir, 'index.ts'),
      [
        'import { fail } from "./helper.js"',
        '',
        'export default (request: string): string => {',
        '  if (request === "") return fail()',
        '  return request',
        '}',
        '',
      ].join('\n'),
    )
    const bundle = await bundleFunction({ entry: join(dir, 'index.ts') })
    const [line, column] = positionOf(bundle.code, 'throw new Error')
    expect(line).toBeGreaterThan(1)

    const mapped = mapBundleLocations({
      text: `Error: boom at fail (function.js:${line}:${column})`,
      sourceMap: bundle.sourceMap,
    })
    expect(mapped).toBe(`Error: boom at fail (${relative(process.cwd(), join(dir, 'helper.ts'))}:5:3)`)
  })

  it('leaves text without bundle positions, and positions the map does not cover, as they are', async () => {
    writeFileSync(join(dir, 'plain.ts'), 'export default (): string => "x"\n')
    const { sourceMap } = await bundleFunction({ entry: join(dir, 'plain.ts') })
    expect(mapBundleLocations({ text: 'TypeError: nope', sourceMap })).toBe('TypeError: nope')
    expect(mapBundleLocations({ text: 'at main (function.js:900:1)', sourceMap })).toBe(
      'at main (function.js:900:1)',
    )
  })
})
