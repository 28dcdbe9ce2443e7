import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import type { Plugin } from 'esbuild'
import { buildCompatPrelude } from './buildCompatPrelude.js'

const preludeSpecifier = 'teefn-compat:chainlink'
const preludeNamespace = 'teefn-compat'

/**
 * `--compat chainlink`: the entry file is the body of an async function (Chainlink Functions' convention, with
 * top-level `return` and `await`), passed to `runChainlinkSource`, which becomes the default export. The source
 * keeps its line numbers (it starts on the wrapper's first line), so positions in errors still name it.
 */
export function chainlinkEntryPlugin(entry: string): Plugin {
  const path = resolve(entry)
  return {
    name: 'teefn-compat-chainlink',
    setup(build) {
      build.onLoad({ filter: new RegExp(`^${escapeRegExp(path)}$`) }, async () => ({
        contents: `import { runChainlinkSource } from '${preludeSpecifier}';export default (request, secrets) => runChainlinkSource(request, secrets, async () => {${await readFile(path, 'utf8')}\n})\n`,
        loader: extname(path) === '.ts' ? 'ts' : 'js',
        resolveDir: dirname(path),
      }))
      build.onResolve({ filter: /^teefn-compat:chainlink$/ }, () => ({
        path: 'chainlink',
        namespace: preludeNamespace,
      }))
      build.onLoad({ filter: /.*/, namespace: preludeNamespace }, async () => ({
        contents: await buildCompatPrelude('chainlink', 'runChainlinkSource'),
        loader: 'js',
      }))
    },
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
