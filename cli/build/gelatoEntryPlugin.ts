import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Plugin } from 'esbuild'
import { buildCompatPrelude } from './buildCompatPrelude.js'

const sdk = '@gelatonetwork/web3-functions-sdk'
const namespace = 'teefn-compat-gelato'

/**
 * `--compat gelato`: a Gelato Web3 Function's entry registers its handler with `Web3Function.onRun` and exports
 * nothing. Its imports of `@gelatonetwork/web3-functions-sdk` resolve to teefn's runtime
 * (`runtime/compat/gelato/web3FunctionsSdk.ts`), installed or not, and the entry gains that module's default
 * export as its own (positions in errors still name the source lines). What Deno gave
 * Gelato functions and QuickJS cannot (`npm:`, `jsr:` and URL imports, `Deno.*`) fails the build, saying what to do.
 */
export function gelatoEntryPlugin(entry: string): Plugin {
  const path = resolve(entry)
  return {
    name: 'teefn-compat-gelato',
    setup(build) {
      build.onResolve({ filter: /^@gelatonetwork\/web3-functions-sdk(?:\/.*)?$/ }, () => ({
        path: 'web3-functions-sdk',
        namespace,
      }))
      build.onLoad({ filter: /.*/, namespace }, async () => ({
        contents: await buildCompatPrelude('gelato', 'web3FunctionsSdk'),
        loader: 'js',
      }))
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/, namespace: 'file' }, async ({ path: file }) => {
        if (file !== path) return undefined
        const source = await readFile(file, 'utf8')
        return {
          // On the source's first line, so its positions stay; first, so the SDK's globals exist before its imports.
          contents: `import '${sdk}';${source}\nexport { default } from '${sdk}'\n`,
          loader: /\.[cm]?tsx?$/.test(file) ? 'ts' : 'js',
        }
      })
    },
  }
}
