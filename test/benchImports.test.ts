import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const localImport = /^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm

/** Every file of this repository a module loads, following relative imports. */
function localModulesOf(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen
  seen.add(entry)
  for (const [, specifier] of readFileSync(entry, 'utf8').matchAll(localImport)) {
    localModulesOf(resolve(dirname(entry), specifier!.replace(/\.js$/, '.ts')), seen)
  }
  return seen
}

describe('benchmarks', () => {
  // A benchmark runs under plain tsx: a module that imports vitest throws there at load time.
  const benches = readdirSync(join(root, 'bench')).filter((name) => name.endsWith('.ts'))
  for (const bench of benches) {
    it(`${bench} loads no module that needs the vitest runner`, () => {
      const needVitest = [...localModulesOf(join(root, 'bench', bench))].filter((file) =>
        /from 'vitest'/.test(readFileSync(file, 'utf8')),
      )
      expect(needVitest.map((file) => file.slice(root.length + 1))).toEqual([])
    })
  }
})
