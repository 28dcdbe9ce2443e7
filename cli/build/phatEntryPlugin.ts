import { dirname, resolve } from 'node:path'
import type { Plugin } from 'esbuild'
import { buildCompatPrelude } from './buildCompatPrelude.js'

const namespace = 'teefn-compat-phat'

/**
 * `--compat phat`: the entry is a Phat function (`export default function main(request, secrets)`). It becomes a
 * module that imports teefn's Phat runtime first (which installs `pink`), then the source, and exports
 * `(request, secrets) => runPhatFunction(request, secrets, main)`. Imports of `@phala/pink-env` resolve to the
 * runtime, installed or not. The source is bundled as written, so positions in errors still name it.
 */
export function phatEntryPlugin(entry: string): Plugin {
  const path = resolve(entry)
  return {
    name: 'teefn-compat-phat',
    setup(build) {
      // The entry point becomes the wrapper; the wrapper imports the source by its absolute path, as a plain file.
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' && resolve(args.resolveDir, args.path) === path)
          return { path: 'entry', namespace }
        if (args.path === 'teefn-compat:phat' || args.path === '@phala/pink-env')
          return { path: 'runtime', namespace }
        return undefined
      })
      build.onLoad({ filter: /^entry$/, namespace }, () => ({
        contents: `import { runPhatFunction } from 'teefn-compat:phat'\nimport main from ${JSON.stringify(path)}\nexport default (request, secrets) => runPhatFunction(request, secrets, main)\n`,
        loader: 'js',
        resolveDir: dirname(path),
      }))
      build.onLoad({ filter: /^runtime$/, namespace }, async () => ({
        contents: await buildCompatPrelude('phat', 'runPhatFunction'),
        loader: 'js',
      }))
    },
  }
}
