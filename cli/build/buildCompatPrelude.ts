import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const preludes = new Map<string, Promise<string>>()

/**
 * A compat mode's runtime (`runtime/compat/<mode>/<entry>`, with what it imports, npm packages included) as one
 * ES module without paths in it, built once per process: the function's bundle, and so its codeHash, must not
 * depend on where teefn is installed. Runs from the `.js` files once built, from the `.ts` sources under tsx.
 */
export function buildCompatPrelude(
  mode: string,
  entry: string,
  options: BuildCompatPreludeOptions = {},
): Promise<string> {
  const key = `${mode}/${entry}`
  let prelude = preludes.get(key)
  if (!prelude) {
    prelude = bundlePrelude(mode, entry, options)
    preludes.set(key, prelude)
  }
  return prelude
}

export type BuildCompatPreludeOptions = {
  /** Prefer packages' browser builds (Lit's ethers v5). */
  browser?: boolean
  /** Minify fully, not only whitespace (a large library such as ethers). */
  minify?: boolean
  /** Code put before the module. */
  banner?: string
}

async function bundlePrelude(
  mode: string,
  entry: string,
  options: BuildCompatPreludeOptions,
): Promise<string> {
  const base = fileURLToPath(new URL(`../../runtime/compat/${mode}/${entry}`, import.meta.url))
  const file = existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    ...(options.browser
      ? { mainFields: ['browser', 'module', 'main'], conditions: ['browser', 'worker'] }
      : { mainFields: ['module', 'main'] }),
    ...(options.minify ? { minify: true } : { minifyWhitespace: true }),
    ...(options.banner ? { banner: { js: options.banner } } : {}),
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced no output for the ${mode} compat prelude`)
  return output.text
}
