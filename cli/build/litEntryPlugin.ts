import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import type { PartialMessage, Plugin } from 'esbuild'
import { buildCompatPrelude } from './buildCompatPrelude.js'

const namespace = 'teefn-compat-lit'

/** What Lit's runtime has and teefn's cannot give; each is refused at build time, with what to do instead. */
const refused: { pattern: RegExp; text: string; hint: string }[] = [
  {
    pattern: /\bLit(?:Actions|\.Actions)\.(decryptAndCombine|decryptToSingleNode)\b/,
    text: 'threshold decryption (Lit.Actions.$1) needs the Lit network',
    hint: 'Keep the secret with teefn (teefn secrets put) and port this step to a native function, main(request, secrets), or keep the action on Lit.',
  },
  {
    pattern: /\bDeno\./,
    text: 'Deno.* APIs are not available in the teefn sandbox',
    hint: 'Use fetch, crypto.getRandomValues and TextEncoder, which the sandbox provides.',
  },
  {
    pattern: /\bfrom\s*["']npm:|\bimport\s*\(\s*["']npm:/,
    text: 'npm: specifiers are Deno-only',
    hint: 'Install the package and import it by name; teefn build bundles it.',
  },
]

/**
 * `--compat lit`: a Lit Action. A file without `import`/`export` is the action's code string itself (a script);
 * a module exports it as `litActionCode`, or exports `main` (the 2026 style). Either becomes the default export,
 * run by `runLitAction`; ethers v5 is bundled, minified, only when the source names `ethers`.
 */
export function litEntryPlugin(entry: string): Plugin {
  const path = resolve(entry)
  return {
    name: 'teefn-compat-lit',
    setup(build) {
      build.onLoad({ filter: new RegExp(`^${escapeRegExp(path)}$`) }, async ({ suffix }) => {
        const text = await readFile(path, 'utf8')
        const loader = extname(path) === '.ts' ? 'ts' : 'js'
        if (suffix === '?lit-source') return { contents: text, loader, resolveDir: dirname(path) }
        const errors = refusalsOf(text)
        if (errors.length > 0) return { errors }
        const isModule = loader === 'ts' || /^\s*(?:import|export)\b/m.test(text)
        const ethers = /\bethers\b/.test(withoutComments(text))
        const lines = [
          "import { runLitAction } from 'teefn-compat:lit';",
          ethers ? "import { ethers } from 'teefn-compat:lit-ethers';" : 'const ethers = undefined;',
        ]
        if (isModule) {
          lines.push(
            "import * as action from 'teefn-compat:lit-source';",
            'export default (request) => runLitAction(request, { code: action.litActionCode, main: action.main ?? action.default, ethers });',
          )
        } else {
          lines.push(
            `const code = ${JSON.stringify(text)};`,
            'export default (request) => runLitAction(request, { code, ethers });',
          )
        }
        return { contents: `${lines.join('\n')}\n`, loader: 'js', resolveDir: dirname(path) }
      })
      build.onResolve({ filter: /^teefn-compat:lit-source$/ }, () => ({ path, suffix: '?lit-source' }))
      build.onResolve({ filter: /^teefn-compat:lit(?:-ethers)?$/ }, ({ path: specifier }) => ({
        path: specifier.slice('teefn-compat:'.length),
        namespace,
      }))
      build.onLoad({ filter: /.*/, namespace }, async ({ path: name }) => ({
        contents: await litPrelude(name === 'lit' ? 'runLitAction' : 'litEthers'),
        loader: 'js',
      }))
    },
  }
}

function refusalsOf(text: string): PartialMessage[] {
  const errors: PartialMessage[] = []
  for (const { pattern, text: message, hint } of refused) {
    const match = pattern.exec(text)
    if (!match) continue
    errors.push({
      text: `--compat lit cannot honour this: ${message.replace('$1', match[1] ?? '')}`,
      notes: [{ text: hint }],
    })
  }
  return errors
}

/**
 * A module of `runtime/compat/lit/` as one file without paths in it (`buildCompatPrelude`), from packages' browser
 * builds; ethers is minified to keep the bundle small.
 */
function litPrelude(name: 'runLitAction' | 'litEthers'): Promise<string> {
  if (name === 'runLitAction') return buildCompatPrelude('lit', name, { browser: true })
  // @ethersproject/random looks for its global object as `self`, `window` or `global`, not `globalThis`.
  return buildCompatPrelude('lit', name, {
    browser: true,
    minify: true,
    banner: 'if(typeof self==="undefined")globalThis.self=globalThis;',
  })
}

/** The source without its comments, roughly (a `//` inside a string cuts it short): enough to look for a name. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
