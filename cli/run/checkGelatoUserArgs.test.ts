import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkGelatoUserArgs } from './checkGelatoUserArgs.js'

const dir = mkdtempSync(join(tmpdir(), 'teefn-gelato-schema-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('checkGelatoUserArgs', () => {
  it("checks userArgs against the schema.json beside the entry, with Gelato's messages", async () => {
    const entry = join(dir, 'index.ts')
    writeFileSync(
      join(dir, 'schema.json'),
      JSON.stringify({
        web3FunctionVersion: '2.0.0',
        userArgs: { oracle: 'string', assets: 'string[]', bps: 'number' },
      }),
    )
    await expect(
      checkGelatoUserArgs(entry, { oracle: '0x1', assets: ['ETH'], bps: 5 }),
    ).resolves.toBeUndefined()
    await expect(checkGelatoUserArgs(entry, { oracle: '0x1', assets: ['ETH'] })).rejects.toThrow(
      "Web3FunctionSchemaError: Missing user arg 'bps'",
    )
    await expect(checkGelatoUserArgs(entry, { oracle: '0x1', assets: ['ETH'], bps: '5' })).rejects.toThrow(
      "Web3FunctionSchemaError: Invalid number value '5' for user arg 'bps'",
    )
    await expect(checkGelatoUserArgs(entry, { oracle: '0x1', assets: [1], bps: 5 })).rejects.toThrow(
      "Invalid string[] value '1' for user arg 'assets'",
    )
  })

  it('checks nothing without a schema.json', async () => {
    await expect(checkGelatoUserArgs(join(tmpdir(), 'nowhere', 'index.ts'), {})).resolves.toBeUndefined()
  })
})
