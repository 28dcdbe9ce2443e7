import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadNodeConfig, resolveSecret } from './loadNodeConfig.js'

let dir: string
const address = `0x${'ab'.repeat(20)}`
const valid = {
  redisUrl: 'redis://127.0.0.1:6379',
  evm: [
    {
      chainId: 31337,
      rpcUrl: 'http://127.0.0.1:8545',
      wsUrl: 'ws://127.0.0.1:8545',
      registry: address,
      consumers: [address],
      rpcQuorum: 1,
      submitterKey: 'env:TEEFN_TEST_KEY',
    },
  ],
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-config-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const write = async (value: unknown) => {
  const file = join(dir, `${Math.random()}.json`)
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value))
  return file
}

describe('loadNodeConfig', () => {
  it('reads a valid file, lets REDIS_URL override it, and resolves env: secrets', async () => {
    const env = { TEEFN_TEST_KEY: '0x01', REDIS_URL: 'redis://127.0.0.1:7000' }
    const config = await loadNodeConfig({ file: await write(valid), env })
    expect(config.redisUrl).toBe('redis://127.0.0.1:7000')
    expect(resolveSecret(config.evm![0]!.submitterKey!, env)).toBe('0x01')
  })

  it('names the bad field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...valid, redisUrl: 'localhost' }, /redisUrl must match pattern/],
      [{ ...valid, evm: [{ ...valid.evm[0], chainId: 0 }] }, /evm\.0\.chainId must be >= 1/],
      [{ ...valid, evm: [{ ...valid.evm[0], registry: '0x12' }] }, /evm\.0\.registry must match pattern/],
      [
        { ...valid, evm: [{ ...valid.evm[0], submitterKey: '0xsecretinline' }] },
        /evm\.0\.submitterKey must match pattern/,
      ],
      [{ ...valid, wokrer: {} }, /wokrer is not a known field/],
    ]
    for (const [value, message] of cases) {
      const error = await loadNodeConfig({ file: await write(value), env: { TEEFN_TEST_KEY: 'x' } }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
    }
  })

  it('refuses to trust a single RPC endpoint unless the file says so, and a quorum no endpoints can reach', async () => {
    const env = { TEEFN_TEST_KEY: 'x' }
    const { rpcQuorum: _, ...implicit } = valid.evm[0]!
    await expect(loadNodeConfig({ file: await write({ ...valid, evm: [implicit] }), env })).rejects.toThrow(
      /evm\.0\.rpcQuorum must be set: the worker would trust a single RPC endpoint/,
    )
    const three = { ...implicit, rpcUrls: ['http://a:1', 'http://b:1', 'http://c:1'] }
    const config = await loadNodeConfig({ file: await write({ ...valid, evm: [three] }), env })
    expect(config.evm![0]!.rpcQuorum).toBeUndefined() // a majority (2 of 3) at start
    await expect(
      loadNodeConfig({ file: await write({ ...valid, evm: [{ ...three, rpcQuorum: 4 }] }), env }),
    ).rejects.toThrow(/evm\.0\.rpcQuorum is 4, more than the 3 endpoint/)
  })

  it('refuses a missing secret, unreadable files and broken JSON', async () => {
    await expect(loadNodeConfig({ file: await write(valid), env: {} })).rejects.toThrow(
      /evm\.0\.submitterKey names the environment variable TEEFN_TEST_KEY, which is not set/,
    )
    await expect(loadNodeConfig({ file: join(dir, 'missing.json'), env: {} })).rejects.toThrow(
      /Cannot read the config file/,
    )
    await expect(loadNodeConfig({ file: await write('{ nope'), env: {} })).rejects.toThrow(
      /is not valid JSON/,
    )
  })
})
