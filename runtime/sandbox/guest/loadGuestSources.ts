import { createHash } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Script } from 'node:vm'
import type * as Esbuild from 'esbuild'
import { GuestSourceError } from './GuestSourceError.js'

/** The guest code a sandbox evaluates: the prelude, the built-in capture, and the lazy parts by name. */
export type GuestSources = { prelude: string; shared: string; parts: Record<string, string> }

/** Part name (as `lazyGlobals.ts` and the host ask for it) -> its file in `src/`. */
export const guestPartFiles: Record<string, string> = {
  hostHelpers: 'hostHelpersPart',
  encoding: 'encodingPart',
  crypto: 'cryptoPart',
  deriveSecret: 'deriveSecretPart',
  timers: 'timersPart',
  fetchClasses: 'fetchClassesPart',
  compatOutput: 'compatOutputPart',
}

// Run from sources (vitest, tsx), this module reads the `.ts` files; built, the `.js` files the guest's own
// tsconfig emitted beside it into dist/ (`npm run build`).
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const defaultExport = /^export default function\b/m
// An assignment keeps esbuild from dropping the function, and from renaming it and exporting it apart.
const marker = 'globalThis.__teefnGuest='

let loaded: GuestSources | undefined

/**
 * What `npm run build` minified (`writeGuestSourcesCache`), beside the built module, keyed by a digest of the
 * files it came from and of this module (the minifier). Only dist/ holds one.
 */
const cacheUrl = new URL('./guestSources.json', import.meta.url)
type GuestSourcesCache = { digest: string; sources: GuestSources }

/**
 * The guest code in `src/`, stripped of its types and minified once per process with esbuild: QuickJS
 * compiles every context's prelude from source, so shorter code is a shorter cold start. Each file is an
 * ES module whose default export is a function and whose other content is types; the host evaluates that
 * function as an expression and calls it.
 *
 * Read at load rather than generated into a module at build time: vitest, tsx and dist/ then take the
 * same path, and no generated file can be stale or missing (for the type checker, say). The pool does
 * this once and hands the strings to its threads, so no invocation pays for it. Built, the result of the
 * build's own run is taken instead when the files still match it: esbuild then is not even loaded, which
 * keeps ~100 ms off a one-shot `teefn run`.
 */
export function loadGuestSources(): GuestSources {
  if (loaded) return loaded
  const files = readGuestFiles()
  const digest = digestOf(files)
  loaded = readCache(digest) ?? minify(files)
  return loaded
}

/** Minifies the guest files now and writes them beside this module for `loadGuestSources` (`npm run build`). */
export function writeGuestSourcesCache(): void {
  const files = readGuestFiles()
  const cache: GuestSourcesCache = { digest: digestOf(files), sources: minify(files) }
  const path = new URL(`./guestSources.json.${process.pid}.tmp`, import.meta.url)
  writeFileSync(path, JSON.stringify(cache))
  renameSync(path, cacheUrl)
}

/** Every guest file's text, by its name in `src/` (without the extension). */
function readGuestFiles(): Record<string, string> {
  const names = ['installGlobals', 'captureBuiltins', ...Object.values(guestPartFiles)]
  return Object.fromEntries(
    names.map((file) => [file, readFileSync(new URL(`./src/${file}.${extension}`, import.meta.url), 'utf8')]),
  )
}

function digestOf(files: Record<string, string>): string {
  const hash = createHash('sha256').update(readFileSync(new URL(import.meta.url)))
  for (const [file, text] of Object.entries(files)) hash.update(`\0${file}\0${text}`)
  return hash.digest('hex')
}

function readCache(digest: string): GuestSources | undefined {
  try {
    const cache = JSON.parse(readFileSync(cacheUrl, 'utf8')) as GuestSourcesCache
    return cache.digest === digest ? cache.sources : undefined
  } catch {
    return undefined // none (sources, or not built yet): minify
  }
}

function minify(files: Record<string, string>): GuestSources {
  const load = (file: string) =>
    toGuestFunction(files[file]!, { name: `guest/src/${file}.${extension}`, loader: extension })
  return {
    prelude: load('installGlobals'),
    shared: load('captureBuiltins'),
    parts: Object.fromEntries(Object.entries(guestPartFiles).map(([part, file]) => [part, load(file)])),
  }
}

/**
 * A guest file's default-exported function as a minified function expression. Throws when the file holds
 * anything else that would run (a statement, a value import): the host evaluates only the function.
 */
export function toGuestFunction(
  source: string,
  { name, loader }: { name: string; loader: 'ts' | 'js' },
): string {
  const [head, body, ...more] = source.split(defaultExport)
  if (body !== undefined && more.length === 0) {
    // First only the types go: statements stay apart (full minification would join them with commas).
    // Loaded on first use: a process that finds the build's minified sources never loads esbuild.
    const { transformSync } = createRequire(import.meta.url)('esbuild') as typeof Esbuild
    const stripped = transformSync(`${head}${marker}function${body}`, { loader, minifyWhitespace: true })
    const statement = stripped.code.trim().replace(/;$/, '')
    if (statement.startsWith(marker) && parses(`(${statement.slice(marker.length)})`, name)) {
      const { code } = transformSync(statement, { loader: 'js', minify: true, target: 'es2023' })
      return `(${code.trim().replace(/;$/, '').slice(marker.length)})`
    }
  }
  throw new GuestSourceError(name)
}

/** Whether `code` is one expression: a statement after the function makes a `;` inside the parentheses. */
function parses(code: string, filename: string): boolean {
  try {
    new Script(code, { filename })
    return true
  } catch {
    return false
  }
}
