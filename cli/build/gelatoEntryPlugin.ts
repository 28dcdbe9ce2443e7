import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Plugin } from 'esbuild'
import { buildCompatPrelude } from './buildCompatPrelude.js'
import { findDenoUse } from './findDenoUse.js'

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
      build.onResolve({ filter: /^(?:npm|jsr|https?):/ }, ({ path: specifier }) => ({
        errors: [refusedSpecifier(specifier)],
      }))
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/, namespace: 'file' }, async ({ path: file }) => {
        if (file.includes('/node_modules/')) return undefined
        const source = await readFile(file, 'utf8')
        const deno = findDenoUse(source)
        if (deno) {
          return {
            errors: [
              {
                text: `${deno.text} is Deno's API, which teefn's QuickJS sandbox does not have`,
                location: { file, line: deno.line, column: deno.column, lineText: deno.lineText },
                notes: [
                  {
                    text: 'Read secrets with context.secrets.get(name) and settings with context.userArgs; use fetch for HTTP.',
                  },
                ],
              },
            ],
          }
        }
        if (file !== path) return undefined
        return {
          // On the source's first line, so its positions stay; first, so the SDK's globals exist before its imports.
          contents: `import '${sdk}';${source}\nexport { default } from '${sdk}'\n`,
          loader: /\.[cm]?tsx?$/.test(file) ? 'ts' : 'js',
        }
      })
    },
  }
}

function refusedSpecifier(specifier: string): { text: string; notes: { text: string }[] } {
  const name = specifier.replace(/^(?:npm|jsr):/, '').replace(/(?<=.)@[^/]*$/, '')
  const url = /^https?:/.test(specifier)
  return {
    text: `"${specifier}" is a Deno ${url ? 'URL import' : `${specifier.split(':')[0]}: specifier`}, which teefn's bundler does not fetch`,
    notes: [
      {
        text: url
          ? 'Install the package with npm and import it by its name.'
          : `Install it (npm install ${name}) and import it by its name: import ... from "${name}"`,
      },
    ],
  }
}
