import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AnvilNotInstalledError } from './AnvilNotInstalledError.js'
import { resolveAnvilBinary } from './resolveAnvilBinary.js'

const thrown = (run: () => unknown): unknown => {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('it did not throw')
}

describe('resolveAnvilBinary', () => {
  it("finds the binary in this platform's @foundry-rs package", () => {
    const binary = resolveAnvilBinary({ env: {} })
    expect(binary).toMatch(/@foundry-rs\/anvil-(linux|darwin)-(amd64|arm64)\/bin\/anvil$/)
    expect(existsSync(binary)).toBe(true)
  })

  it('takes TEEFN_ANVIL_BIN instead, on any platform, and refuses one that names no file', () => {
    const own = resolveAnvilBinary({ env: {} })
    expect(resolveAnvilBinary({ env: { TEEFN_ANVIL_BIN: own }, platform: 'freebsd', arch: 'riscv64' })).toBe(
      own,
    )
    const error = thrown(() => resolveAnvilBinary({ env: { TEEFN_ANVIL_BIN: '/nowhere/anvil' } }))
    expect(error).toMatchObject({ code: 'ANVIL_NOT_INSTALLED', details: 'TEEFN_ANVIL_BIN=/nowhere/anvil' })
  })

  it('throws AnvilNotInstalledError naming the platform and the missing package, with what to do', () => {
    // Foundry publishes both; npm installs only the one matching the machine.
    const [platform, arch] = process.platform === 'darwin' ? ['linux', 'arm64'] : ['darwin', 'arm64']
    const missing = thrown(() => resolveAnvilBinary({ env: {}, platform, arch }))
    expect(missing).toBeInstanceOf(AnvilNotInstalledError)
    expect(missing).toMatchObject({
      code: 'ANVIL_NOT_INSTALLED',
      shortMessage: 'anvil is not installed for this platform.',
      details: `${platform} ${arch} needs the package @foundry-rs/anvil-${platform}-arm64, which is not installed.`,
      packageName: `@foundry-rs/anvil-${platform}-arm64`,
    })
    expect((missing as AnvilNotInstalledError).hint).toMatch(/TEEFN_ANVIL_BIN.*linux x64/)

    const unpublished = thrown(() => resolveAnvilBinary({ env: {}, platform: 'win32', arch: 'arm64' }))
    expect(unpublished).toMatchObject({
      details: 'Foundry publishes no anvil package for win32 arm64.',
      packageName: undefined,
    })
  })
})
