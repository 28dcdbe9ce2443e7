import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { packageRoot } from '../packageRoot.js'
import { UsageError } from '../UsageError.js'
import { createFunctionProject } from './createFunctionProject.js'

const work = mkdtempSync(join(tmpdir(), 'teefn-create-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const teefnRoot = packageRoot()

describe('createFunctionProject', () => {
  it('writes the template, a package.json linking teefnRoot, and names the package after the folder', () => {
    const project = createFunctionProject({ dir: join(work, 'Price Feed (v2)'), teefnRoot })
    expect(project.name).toBe('price-feed-v2')
    expect(project.files).toEqual([
      '.gitignore',
      'README.md',
      'contracts/PriceConsumer.sol',
      'package.json',
      'remappings.txt',
      'src/index.ts',
      'test/index.test.js',
      'tsconfig.json',
    ])
    const manifest = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8'))
    expect(manifest).toMatchObject({
      name: 'price-feed-v2',
      private: true,
      type: 'module',
      scripts: { test: 'node --test' },
      devDependencies: { teefn: `file:${teefnRoot}` },
    })
    expect(readFileSync(join(project.dir, 'README.md'), 'utf8')).toMatch(/^# price-feed-v2\n/)
    expect(existsSync(join(project.dir, 'gitignore'))).toBe(false)
  })

  it('accepts a folder holding only .git, and refuses one holding anything else without writing to it', () => {
    const repository = join(work, 'repository')
    mkdirSync(join(repository, '.git'), { recursive: true })
    expect(createFunctionProject({ dir: repository, teefnRoot }).files).toContain('src/index.ts')

    const occupied = join(work, 'occupied')
    mkdirSync(occupied)
    for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(occupied, name), name)
    let error: unknown
    try {
      createFunctionProject({ dir: occupied, teefnRoot })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).shortMessage).toBe(`${occupied} is not empty (it holds a, b, c, ...)`)
    expect((error as UsageError).hint).toBe(
      'teefn init writes into a new or empty folder: teefn init <new folder>',
    )
    expect(existsSync(join(occupied, 'package.json'))).toBe(false)

    expect(() => createFunctionProject({ dir: join(occupied, 'a'), teefnRoot })).toThrow(
      /occupied\/a is a file\n/,
    )
  })
})
