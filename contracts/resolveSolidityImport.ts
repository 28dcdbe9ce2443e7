import { readFileSync } from 'node:fs'

/**
 * solc's import callback: a package path (`@openzeppelin/contracts/...`, `@chainlink/contracts/...`) from the
 * project's node_modules; anything else is not found (sources import each other by relative path).
 */
export function resolveSolidityImport(
  path: string,
  require: NodeRequire,
): { contents: string } | { error: string } {
  if (!/^@?[\w.-]+\//.test(path) || path.includes('..') || path.startsWith('contracts/')) {
    return { error: `File not found: ${path} (imports resolve within contracts/src or from node_modules)` }
  }
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') }
  } catch {
    return { error: `File not found in node_modules: ${path}` }
  }
}
