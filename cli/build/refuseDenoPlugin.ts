import { readFile } from 'node:fs/promises'
import type { PartialMessage, Plugin } from 'esbuild'
import { findDenoUse } from './findDenoUse.js'

export type RefuseDenoPluginParameters = {
  /** What the mode gives instead of Deno's APIs, said when a source uses them. */
  denoHint: string
}

/**
 * For modes whose home platform ran Deno (Chainlink Functions, Gelato): `npm:`, `jsr:` and URL imports, and the
 * `Deno` global, fail the build with the file and line and what to do, instead of esbuild's "Could not resolve"
 * or a failure at run time. Put before the mode's entry plugin: a file without them passes on.
 */
export function refuseDenoPlugin({ denoHint }: RefuseDenoPluginParameters): Plugin {
  return {
    name: 'teefn-refuse-deno',
    setup(build) {
      build.onResolve({ filter: /^(?:npm|jsr|https?):/ }, ({ path: specifier }) => ({
        errors: [refusedSpecifier(specifier)],
      }))
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/, namespace: 'file' }, async ({ path: file }) => {
        if (file.includes('/node_modules/')) return undefined
        const deno = findDenoUse(await readFile(file, 'utf8'))
        if (!deno) return undefined
        const error: PartialMessage = {
          text: `${deno.text} is Deno's API, which teefn's QuickJS sandbox does not have`,
          location: { file, line: deno.line, column: deno.column, lineText: deno.lineText },
          notes: [{ text: denoHint }],
        }
        return { errors: [error] }
      })
    },
  }
}

function refusedSpecifier(specifier: string): PartialMessage {
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
