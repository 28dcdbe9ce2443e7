import { transformSync } from 'esbuild'
import { lazyPartSources } from './lazyGlobals.js'
import { preludeSource, sharedPartSource } from './preludeSource.js'

/** The guest code a sandbox evaluates: the prelude, the built-in capture, and the lazy parts by name. */
export type GuestSources = { prelude: string; shared: string; parts: Record<string, string> }

let minified: GuestSources | undefined

/**
 * The guest sources, minified once per process with esbuild. QuickJS compiles every context's prelude
 * from source, so shorter code is a shorter cold start.
 */
export function minifyGuestSources(): GuestSources {
  minified ??= {
    prelude: minify(preludeSource),
    shared: minify(sharedPartSource),
    parts: Object.fromEntries(
      Object.entries(lazyPartSources).map(([name, source]) => [name, minify(source)]),
    ),
  }
  return minified
}

const marker = 'globalThis.__teefnGuest='

function minify(source: string): string {
  // An assignment keeps esbuild from dropping the (side-effect free) function expression.
  const { code } = transformSync(`${marker}${source}`, { loader: 'js', minify: true, target: 'es2022' })
  const trimmed = code.trim().replace(/;$/, '')
  if (!trimmed.startsWith(marker)) throw new Error('esbuild changed the shape of a guest source')
  return `(${trimmed.slice(marker.length)})`
}
