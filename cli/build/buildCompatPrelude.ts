import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const preludes = new Map<string, Promise<string>>()

/**
 * A compat mode's runtime (`runtime/compat/<mode>/<entry>`, with what it imports, npm packages included) as one
 * ES module without paths in it, built once per process: the function's bundle, and so its codeHash, must not
 * depend on where teefn is installed. Runs from the `.js` files once built, from the `.ts` sources under tsx.
 */
export function buildCompatPrelude(mode: string, entry: string): Promise<string> {
  const key = `${mode}/${entry}`
  let prelude = preludes.get(key)
  if (!prelude) {
    prelude = bundlePrelude(mode, entry)
    preludes.set(key, prelude)
  }
  return prelude
}

async function bundlePrelude(mode: string, entry: string): Promise<string> {
  const base = fileURLToPath(new URL(`../../runtime/compat/${mode}/${entry}`, import.meta.url))
  const file = existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    mainFields: ['module', 'main'],
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced no output for the ${mode} compat prelude`)
  return output.text
}
