import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

const chainlinkSource = fileURLToPath(new URL('./fixtures/chainlink/quoteSpread.js', import.meta.url))
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-migrate-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('teefn migrate', () => {
  it('says what of a Chainlink source carries over and what changes, and exits 0 when all of it can', async () => {
    const { status, stdout, stderr } = await runTeefn(['migrate', chainlinkSource, '--from', 'chainlink'])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout).toContain('runs under --compat chainlink')
    expect(stdout).toMatch(/carries {6}Functions\.makeHttpRequest \(lines [\d, ]+\)/)
    expect(stdout).toMatch(/changes {6}secrets \(line \d+\): DON-hosted and remote/)
    expect(stdout).toContain('TeefnFunctionsRouter')
  })

  it('exits 1 and names each use that cannot carry over, with its line', async () => {
    const file = join(dir, 'deno.js')
    await writeFile(
      file,
      "import { z } from 'npm:zod'\nconst key = Deno.env.get('KEY')\nreturn Functions.encodeString(key)\n",
    )
    const { status, stdout } = await runTeefn(['migrate', file, '--from', 'chainlink', '--json'])
    expect(status).toBe(1)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ from: 'chainlink', compat: 'chainlink', unsupported: 2 })
    expect(report.uses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ api: 'import "npm:..."', verdict: 'unsupported', lines: [1] }),
        expect.objectContaining({ api: 'Deno', verdict: 'unsupported', lines: [2] }),
      ]),
    )
  })

  it('refuses a platform it does not know', async () => {
    const { status, stderr } = await runTeefn(['migrate', chainlinkSource, '--from', 'aws'])
    expect(status).toBe(2)
    expect(stderr).toContain("argument 'aws' is invalid. Allowed choices are chainlink, phat, gelato, lit.")
  })
})
