import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

// Type-only imports and re-exports are erased: they load nothing.
const localImport = /^\s*(?:import|export)(?!\s+type\s)[^'"]*from\s+'(\.[^']+)'/gm

/** Every file of this repository a module loads, following relative imports (`.js` specifiers read as `.ts`). */
export function localModulesOf(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen
  seen.add(entry)
  for (const [, specifier] of readFileSync(entry, 'utf8').matchAll(localImport)) {
    localModulesOf(resolve(dirname(entry), specifier!.replace(/\.js$/, '.ts')), seen)
  }
  return seen
}

/** The files among `modules` that import `pkg` (or one of its subpaths) at run time; type-only imports do not count. */
export function modulesImporting(modules: Iterable<string>, pkg: string): string[] {
  const valueImport = new RegExp(`^\\s*import\\s+(?!type\\s)[^'"]*from\\s+'${pkg}(?:/[^']*)?'`, 'm')
  return [...modules].filter((file) => valueImport.test(readFileSync(file, 'utf8')))
}
