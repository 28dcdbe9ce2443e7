import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from './bundleFunction.js'
import { functionCode } from './functionCode.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-function-code-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('functionCode', () => {
  it('takes a self-contained .js file byte for byte', async () => {
    const file = join(dir, 'plain.js')
    await writeFile(file, 'export default (request) => "plain " + request\n')
    const code = await functionCode({ entry: file })
    expect(code.bundled).toBe(false)
    expect(Buffer.from(code.bytes).equals(await readFile(file))).toBe(true)
    expect(code.codeHash).toBe(keccak256(code.bytes))
  })

  it('bundles a self-contained .js file in a compat mode: the wrapper and the mode are in the bytes', async () => {
    const file = join(dir, 'chainlink.js')
    await writeFile(file, 'return Functions.encodeString(args[0])\n')
    const code = await functionCode({ entry: file, compat: 'chainlink' })
    expect(code.bundled).toBe(true)
    expect(Buffer.from(code.bytes).equals(await readFile(file))).toBe(false)
    expect(Buffer.from(code.bytes).toString('utf8')).toMatch(/^\/\/ teefn-compat: chainlink\n/)
    expect(code.codeHash).toBe(keccak256(code.bytes))
  })

  it("bundles an entry: the codeHash is the bundle's, as teefn build prints it", async () => {
    const file = join(dir, 'typed.ts')
    await writeFile(file, "export default (request: string): string => 'typed ' + request\n")
    const code = await functionCode({ entry: file })
    expect(code.bundled).toBe(true)
    expect(code.codeHash).toBe((await bundleFunction({ entry: file })).codeHash)
  })
})
