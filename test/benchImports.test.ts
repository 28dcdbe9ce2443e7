import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { localModulesOf } from './support/localModulesOf.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

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
