import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, join, resolve, sep } from 'node:path'
import { UsageError } from '../UsageError.js'

export type CreateFunctionProjectParameters = {
  /** Where to create the project: absent, or empty but for a `.git` folder. */
  dir: string
  /** The teefn package the project depends on (`file:` link): the one running. */
  teefnRoot: string
}

export type CreateFunctionProjectReturnType = {
  /** The project's folder, absolute. */
  dir: string
  /** Its package name (the folder's name, made a valid npm name). */
  name: string
  /** The files written, relative to `dir`, sorted. */
  files: string[]
}

/**
 * Creates a function project from teefn's template (`templates/function/`): a TypeScript function typed by
 * `teefn/function`, its `node --test` test, a consumer contract and a README, with a package.json that depends
 * on `teefn` through a `file:` link to `teefnRoot` (teefn is not on the npm registry).
 */
export function createFunctionProject({
  dir,
  teefnRoot,
}: CreateFunctionProjectParameters): CreateFunctionProjectReturnType {
  const target = resolve(dir)
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new UsageError(`${dir} is a file`, 'teefn init creates a folder: teefn init <new folder>')
  }
  const present = existsSync(target)
    ? readdirSync(target)
        .filter((entry) => entry !== '.git')
        .sort()
    : []
  if (present.length > 0) {
    throw new UsageError(
      `${dir} is not empty (it holds ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''})`,
      'teefn init writes into a new or empty folder: teefn init <new folder>',
    )
  }
  const name = packageNameOf(target)
  mkdirSync(target, { recursive: true })
  cpSync(join(teefnRoot, 'templates', 'function'), target, { recursive: true })
  // npm drops files named .gitignore from packages, so the template holds it without the dot.
  renameSync(join(target, 'gitignore'), join(target, '.gitignore'))
  const readme = join(target, 'README.md')
  writeFileSync(readme, readFileSync(readme, 'utf8').replaceAll('__NAME__', name))
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(manifestOf(name, teefnRoot), null, 2)}\n`)
  const files = readdirSync(target, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(target.length + 1))
    .filter((file) => !file.startsWith(`.git${sep}`))
    .sort()
  return { dir: target, name, files }
}

function manifestOf(name: string, teefnRoot: string) {
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'node --test',
      build: 'teefn build src/index.ts',
      watch: 'teefn run src/index.ts --watch',
    },
    devDependencies: { teefn: `file:${teefnRoot}` },
  }
}

/** The folder's name as an npm package name: lower case, letters, digits, `-`, `.` and `_`. */
function packageNameOf(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '')
  return name === '' ? 'teefn-function' : name.slice(0, 214)
}
