import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

// `teefn run` runs a .js file that plainly imports nothing before esbuild sees it; these check that every
// outcome is still the one bundling first gave.
let dir: string

const run = async (name: string, content: string) => {
  const path = join(dir, name)
  await writeFile(path, content)
  const { status, stdout } = await runTeefn(['run', path, '--request', 'r', '--json'])
  return { status, report: JSON.parse(stdout) }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-run-as-is-'))
  await writeFile(join(dir, 'helper.js'), 'export const greeting = "hi"')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('teefn run of a .js file', () => {
  it('bundles a file that imports something, and runs it', async () => {
    const { status, report } = await run(
      'imports.js',
      "import { greeting } from './helper.js'\nexport default (request) => greeting + ' ' + request",
    )
    expect(status).toBe(0)
    expect(report).toMatchObject({ ok: true, result: 'hi r' })
  })

  it("reports esbuild's reason for a file that does not parse", async () => {
    const { status, report } = await run('broken.js', 'export default function main( {')
    expect(status).toBe(1)
    expect(report.error.code).toBe('SYNTAX_ERROR')
    expect(report.error.message).toMatch(/^Could not bundle .*broken\.js\.\nDetails: .*broken\.js:1:/)
  })

  it("reports esbuild's reason for a file without a default export, even one that says `default`", async () => {
    const { status, report } = await run(
      'switch.js',
      'export const main = (request) => { switch (request) { default: return "x" } }',
    )
    expect(status).toBe(1)
    expect(report.error).toEqual({
      code: 'NO_MAIN',
      message: expect.stringMatching(/switch\.js has no default export\.\nDetails: it exports: main\n/),
    })
  })

  it("reports the sandbox's reason for a default export that is not a function", async () => {
    const { status, report } = await run('value.js', 'export default 42')
    expect(status).toBe(1)
    expect(report.error).toEqual({
      code: 'NO_MAIN',
      message: expect.stringMatching(/^The module's default export is number, not a function\./),
    })
  })
})
