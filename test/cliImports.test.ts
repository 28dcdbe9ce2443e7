import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Static imports and re-exports of emitted JavaScript (type-only imports are gone by then). */
const staticImport = /^\s*(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*['"]([^'"]+)['"]/gm

type ModuleGraph = { files: string[]; packages: string[] }

const importsCache = new Map<string, string[]>()

/** The specifiers a file imports statically, from its emitted JavaScript (type-only imports are gone there). */
function staticImportsOf(file: string): string[] {
  let imports = importsCache.get(file)
  if (!imports) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    })
    imports = [...outputText.matchAll(staticImport)].map(([, specifier]) => specifier!)
    importsCache.set(file, imports)
  }
  return imports
}

/**
 * What loading `entries` loads, as Node would before running them: the repository's files (relative to the
 * root) and the packages, following static imports only; `import()` inside a function is left out, as it loads
 * only when called.
 */
function staticGraphOf(...entries: string[]): ModuleGraph {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const specifier of staticImportsOf(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else packages.add(specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/'))
    }
  }
  for (const entry of entries) visit(join(root, entry))
  const builtins = new Set(builtinModules)
  return {
    files: [...files].map((file) => relative(root, file)).sort(),
    packages: [...packages].filter((name) => !name.startsWith('node:') && !builtins.has(name)).sort(),
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

describe('the teefn command loads lazily', () => {
  it('starts with commander and the command definitions only (what `teefn --help` loads)', () => {
    const { files, packages } = staticGraphOf('cli/main.ts')
    expect(packages).toEqual(['commander'])
    const outsideDefinitions = files.filter((file) => !file.startsWith('cli/definitions/'))
    expect(outsideDefinitions).toEqual([
      'cli/UsageError.ts',
      'cli/attestation/TrustPolicy.ts',
      'cli/exitCodes.ts',
      'cli/main.ts',
      'cli/packageVersion.ts',
      'runtime/errors/BaseError.ts',
    ])
  })

  it('teefn run of a plain function loads no bundler, queue, chain or server library', () => {
    // Its own modules and the sandbox thread's; esbuild is imported only when a file must be bundled.
    const { packages } = staticGraphOf('cli/commands/run.ts', 'runtime/sandbox/sandboxThread.ts')
    expect(packages).toContain('quickjs-emscripten')
    const heavy =
      /^(esbuild|source-map-js|bullmq|ioredis|ethers|viem|fastify|pino|prom-client|solc|@polkadot\/.*|@fastify\/.*|@phala\/.*)$/
    expect(packages.filter((name) => heavy.test(name))).toEqual([])
  })

  it('no production module imports the dev harnesses (dev/), except the demo command', () => {
    const production = ['cli', 'runtime', 'relayer', 'server', 'contracts', 'functions'].flatMap(sourceFiles)
    const importers = production.filter((file) =>
      staticGraphOf(file).files.some((imported) => imported.startsWith('dev/')),
    )
    expect(importers).toEqual(['cli/commands/demo.ts'])
  })
})
