import { readFileSync } from 'node:fs'

/**
 * teefn's version, from its package.json: one folder up from `cli/` when run from source, two from
 * `dist/cli/` when built. Read rather than imported, so that `teefn --version` loads nothing else.
 */
export function packageVersion(): string {
  const path = import.meta.url.endsWith('.ts') ? '../package.json' : '../../package.json'
  return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version
}
