import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { maxBundleNesting, scanBundleNesting } from './scanBundleNesting.js'

const n = 200_000

describe('scanBundleNesting', () => {
  it('finds every way a bundle makes a parser recurse past the limit, with where it happens', () => {
    // Each of these, at 0.2 to 1 MB, killed esbuild's service with a Go stack overflow (measured on 0.28.2).
    const deep: Record<string, string> = {
      arrays: `export default () => ${'['.repeat(n)}${']'.repeat(n)}`,
      parentheses: `export default () => ${'('.repeat(n)}1${')'.repeat(n)}`,
      objects: `export default () => ${'{a:'.repeat(n)}1${'}'.repeat(n)}`,
      negations: `export default () => ${'!'.repeat(n)}1`,
      unaryMinus: `export default () => ${'- '.repeat(n)}1`,
      assignments: `let a; export default () => ${'a='.repeat(n)}1`,
      ternaries: `let x; export default () => ${'x?1:'.repeat(n)}1`,
      ternariesWithBlocks: `let x; export default () => ${'x?{}:'.repeat(n)}1`,
      powers: `let a = 1; export default () => ${'a**'.repeat(n)}1`,
      arrows: `export default ${'a=>'.repeat(n)}1`,
      ifs: `export default () => { ${'if(1)'.repeat(n)}; }`,
      whiles: `export default () => { ${'while(1)'.repeat(n)}; }`,
      labels: `export default () => { ${'a:'.repeat(n)}; }`,
      voids: `export default () => ${'void '.repeat(n)}1`,
      news: `export default () => ${'new '.repeat(n)}Object`,
      classes: `export default ${'class extends '.repeat(n / 10)}Object {}`,
      templates: `export default () => ${'`${'.repeat(n)}${'}`'.repeat(n)}`,
    }
    for (const [name, code] of Object.entries(deep)) {
      const found = scanBundleNesting(code)
      expect(found.depth, name).toBe(maxBundleNesting + 1)
      expect(found.line, name).toBe(1)
    }
    const multiline = `export default () => {\n  return ${'['.repeat(2000)}\n}`
    expect(scanBundleNesting(multiline)).toMatchObject({ depth: maxBundleNesting + 1, line: 2 })
  })

  it('does not count what nests nothing: long flat chains, strings, comments, regular expressions', () => {
    const flat: Record<string, string> = {
      sums: `export default (a) => ${'a+'.repeat(n)}1`,
      calls: `export default (a) => a${'(1)'.repeat(n)}`,
      members: `export default (a) => a${'.b'.repeat(n)}`,
      sequence: `export default () => (${'1,'.repeat(n)}1)`,
      elseIfs: `export default (a) => { if (a) {} ${'else if (a) {}'.repeat(n / 10)} }`,
      cases: `export default (a) => { switch (a) { ${'case 1: '.repeat(n / 10)}} }`,
      statements: `export default (a) => { ${'a = !a; '.repeat(n / 10)} }`,
      strings: `export default () => "${'[('.repeat(n)}" + '${'{'.repeat(n)}'`,
      templateText: `export default () => \`${'[{('.repeat(n)}\``,
      comments: `// ${'['.repeat(n)}\n/* ${'('.repeat(n)} */\nexport default () => 1`,
      regexps: `export default () => [${'/[(]\\(/g, '.repeat(n / 10)}]`,
      divisions: `export default (a) => ${'a / 2 / '.repeat(n / 10)}1`,
    }
    for (const [name, code] of Object.entries(flat)) {
      expect(scanBundleNesting(code).depth, name).toBeLessThan(10)
    }
  })

  it('stays far below the limit on large real code (TypeScript, 9 MB, nests 90 deep)', () => {
    const require = createRequire(import.meta.url)
    const typescript = readFileSync(require.resolve('typescript/lib/typescript.js'), 'utf8')
    const { depth } = scanBundleNesting(typescript)
    expect(depth).toBeGreaterThan(20)
    expect(depth).toBeLessThan(maxBundleNesting / 5)
  })
})
