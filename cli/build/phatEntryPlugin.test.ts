import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compatModeOf } from '../../runtime/compat/compatMode.js'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { invokeFunction } from '../../test/support/invokeFunction.js'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { BundleError, bundleFunction } from './bundleFunction.js'

const repository = fileURLToPath(new URL('../../', import.meta.url))
let dir: string
let pool: SandboxPool

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-phat-plugin-'))
  pool = await createSandboxPool({ threads: 1 })
})

afterAll(async () => {
  await pool?.close()
  await rm(dir, { recursive: true, force: true })
})

async function source(name: string, text: string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, text)
  return file
}

describe('--compat phat', () => {
  it("resolves @phala/pink-env to teefn's runtime, uninstalled, and names no path of this machine", async () => {
    const entry = await source(
      'uses-vrf.js',
      `import '@phala/pink-env'\nimport { vrf } from '@phala/pink-env'\nexport default function main() { return String(vrf('0x01').length + pink.hash('sha256', '').length) }\n`,
    )
    const { code } = await bundleFunction({ entry, compat: 'phat' })
    expect(compatModeOf(code)).toBe('phat')
    expect(code).not.toContain(repository)
    const outcome = await invokeFunction(pool, code, { functionKey: new Uint8Array(32).fill(7) })
    expect(outcome).toMatchObject({ ok: true, result: '96' })
  })

  it('fails the build on an import @phala/pink-env does not have, naming it', async () => {
    const entry = await source(
      'bad-import.js',
      `import { SCALE } from '@phala/pink-env'\nexport default () => SCALE\n`,
    )
    const error = await rejectionOf(bundleFunction({ entry, compat: 'phat' }))
    expect(error).toBeInstanceOf(BundleError)
    expect((error as BundleError).details).toContain('No matching export')
  })

  it('installs pink before the source runs, and only in the mode', async () => {
    const entry = await source('top-level.js', `const kind = typeof pink\nexport default () => kind\n`)
    const phat = await bundleFunction({ entry, compat: 'phat' })
    expect((await invokeFunction(pool, phat.code)).result).toBe('object')
    const native = await bundleFunction({ entry })
    expect((await invokeFunction(pool, native.code)).result).toBe('undefined')
    expect(phat.codeHash).not.toBe(native.codeHash)
  })
})
