import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const browserFields = new Map<string, Record<string, unknown> | undefined>()

/**
 * Whether the package that `importer` belongs to maps `name` to `false` in its package.json `browser` field:
 * it asks for no module in a browser build (bn.js, which ethers v5 uses, so maps `buffer`, requiring it only
 * when present). Such a package gets an empty module, as a browser bundler gives it.
 */
export function browserFieldExcludes(importer: string, name: string): boolean {
  if (!importer.includes('/node_modules/')) return false
  const field = browserFieldOf(dirname(importer))
  return field !== undefined && field[name] === false
}

/** The `browser` object of the nearest package.json above `dir`, read once per directory. */
function browserFieldOf(dir: string): Record<string, unknown> | undefined {
  if (browserFields.has(dir)) return browserFields.get(dir)
  let field: Record<string, unknown> | undefined
  try {
    const { browser } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { browser?: unknown }
    field = typeof browser === 'object' && browser !== null ? (browser as Record<string, unknown>) : undefined
  } catch {
    const parent = dirname(dir)
    field = parent === dir || dir.endsWith('/node_modules') ? undefined : browserFieldOf(parent)
  }
  browserFields.set(dir, field)
  return field
}
