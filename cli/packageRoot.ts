import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BaseError } from '../runtime/errors/BaseError.js'

/**
 * The folder of the teefn package this module belongs to (its package.json names `teefn`), from source
 * (`cli/`) or built (`dist/cli/`): what `teefn init` links a new project to and copies its template from.
 */
export function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'teefn'
    ) {
      return dir
    }
    if (dirname(dir) === dir) {
      throw new BaseError('Cannot find the teefn package root.', {
        code: 'PACKAGE_ROOT_NOT_FOUND',
        details: `No folder above ${start} holds the package.json of teefn.`,
        hint: 'Reinstall teefn: its files are incomplete.',
      })
    }
  }
}
