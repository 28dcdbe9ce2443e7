import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const preludes = new Map<string, Promise<string>>()

/**
 * A compat mode's runtime (`runtime/compat/<mode>/<entry>`) as one ES module without paths in it, built once per
 * process: the function's bundle, and so its codeHash, must not depend on where teefn is installed. `entry` is
 * relative to `runtime/compat/`, without extension (the compiled `.js` is taken when it exists).
 */
export function buildCompatPrelude(entry: string): Promise<string> {
  let prelude = preludes.get(entry)
  if (!prelude) {
    prelude = buildOnce(entry)
    preludes.set(entry, prelude)
  }
  return prelude
}

async function buildOnce(entry: string): Promise<string> {
  const base = fileURLToPath(new URL(`../../runtime/compat/${entry}`, import.meta.url))
  const file = existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced no output for the compat prelude ${entry}`)
  return output.text
}
