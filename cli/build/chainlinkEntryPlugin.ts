import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

const preludeSpecifier = 'teefn-compat:chainlink'
const preludeNamespace = 'teefn-compat'

let prelude: Promise<string> | undefined

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
        contents: await chainlinkPrelude(),
        loader: 'js',
      }))
    },
  }
}

/**
 * The compat runtime (`runtime/compat/chainlink/`) as one module without paths in it, built once per process: the
 * function's bundle, and so its codeHash, must not depend on where teefn is installed.
 */
function chainlinkPrelude(): Promise<string> {
  prelude ??= (async () => {
    const base = fileURLToPath(new URL('../../runtime/compat/chainlink/runChainlinkSource', import.meta.url))
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
    if (!output) throw new Error('esbuild produced no output for the Chainlink compat prelude')
    return output.text
  })()
  return prelude
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
