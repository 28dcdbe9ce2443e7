import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { BundleError, bundleFunction } from './bundleFunction.js'

const dir = mkdtempSync(join(tmpdir(), 'teefn-bundle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('bundleFunction', () => {
  it('keeps the source map beside the bundle: the bytes and codeHash are those of a build without a map', async () => {
    writeFileSync(join(dir, 'lib.ts'), 'export const greet = (name: string): string => "hello " + name\n')
    writeFileSync(
      join(dir, 'index.ts'),
      'import { greet } from "./lib.js"\nexport default (request: string) => greet(request)\n',
    )
    const bundle = await bundleFunction({ entry: join(dir, 'index.ts') })
    expect(bundle.code).not.toContain('sourceMappingURL')
    expect(bundle.codeHash).toBe(computeCodeHash(bundle.code))

    // The same build with no source map at all, straight from esbuild.
    const plain = await build({
      entryPoints: [join(dir, 'index.ts')],
      outfile: 'function.js',
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2023',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['browser', 'worker'],
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    })
    expect(bundle.code).toBe(plain.outputFiles[0]!.text)

    const map = JSON.parse(bundle.sourceMap) as { version: number; sources: string[]; mappings: string }
    expect(map.version).toBe(3)
    expect(map.sources.map((source) => source.split('/').at(-1))).toEqual(['lib.ts', 'index.ts'])
    expect(map.mappings).not.toBe('')
  })

  it('lists every file it read, the entry first, as absolute paths', async () => {
    const bundle = await bundleFunction({ entry: join(dir, 'index.ts') })
    expect(bundle.inputs).toEqual([join(dir, 'index.ts'), join(dir, 'lib.ts')])
    expect(bundle.importedFiles).toBe(1)
  })

  it('refuses a Node built-in with a BundleError that says why', async () => {
    writeFileSync(
      join(dir, 'node.ts'),
      'import { readFileSync } from "node:fs"\nexport default () => String(readFileSync)\n',
    )
    const error = await bundleFunction({ entry: join(dir, 'node.ts') }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BundleError)
    expect((error as BundleError).details).toContain('"node:fs" is a Node.js built-in module')
  })

  it("gives an empty module for a built-in a package's browser field maps to false (bn.js's buffer)", async () => {
    const pkg = join(dir, 'node_modules', 'guarded')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(
      join(pkg, 'package.json'),
      '{"name":"guarded","main":"index.js","browser":{"buffer":false}}',
    )
    writeFileSync(
      join(pkg, 'index.js'),
      'let B; try { B = require("buffer").Buffer } catch {} module.exports = () => typeof B',
    )
    writeFileSync(join(dir, 'guarded.ts'), 'import guarded from "guarded"\nexport default () => guarded()\n')
    const bundle = await bundleFunction({ entry: join(dir, 'guarded.ts') })
    expect(bundle.code).toContain('module.exports = {}')
    // The function's own import of the built-in is still refused.
    writeFileSync(
      join(dir, 'buffer.ts'),
      'import { Buffer } from "buffer"\nexport default () => String(Buffer)\n',
    )
    const error = await bundleFunction({ entry: join(dir, 'buffer.ts') }).catch((caught: unknown) => caught)
    expect((error as BundleError).details).toContain('"buffer" is a Node.js built-in module')
  })
})
