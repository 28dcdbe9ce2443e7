import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from './ConfigError.js'
import { loadNodeConfig, resolveSecret } from './loadNodeConfig.js'

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

  it("takes --role and --port over the file: the port of this process's listener, API or ops", async () => {
    const env = { TEEFN_TEST_KEY: '0x01' }
    const file = await write({ ...valid, server: { port: 8787 } })
    const worker = await loadNodeConfig({ file, env, overrides: { roles: ['worker'], port: 9101 } })
    expect({ roles: worker.roles, server: worker.server, ops: worker.ops }).toEqual({
      roles: ['worker'],
      server: { port: 8787 },
      ops: { port: 9101 },
    })
    const api = await loadNodeConfig({ file, env, overrides: { roles: ['api', 'relayer'], port: 9102 } })
    expect({ server: api.server, ops: api.ops }).toEqual({ server: { port: 9102 }, ops: undefined })
    await expect(loadNodeConfig({ file, env, overrides: { roles: ['miner'] } })).rejects.toThrow(/roles/)
  })

  it('takes result quorum peers and timings, and refuses malformed ones', async () => {
    const env = { TEEFN_TEST_KEY: '0x01' }
    const quorum = {
      peers: ['http://node-b:8787', 'https://node-c.example/'],
      failoverDelayMs: 2000,
      settleMs: 500,
    }
    expect((await loadNodeConfig({ file: await write({ ...valid, quorum }), env })).quorum).toEqual(quorum)
    for (const bad of [
      { peers: ['node-b:8787'] },
      { peers: ['http://b', 'http://b'] },
      { peers: [], failoverDelayMs: -1 },
      { peers: [], extra: true },
    ]) {
      await expect(loadNodeConfig({ file: await write({ ...valid, quorum: bad }), env })).rejects.toThrow(
        /quorum/,
      )
    }
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
      [{ evm: valid.evm }, /redisUrl is missing\./],
    ]
    for (const [value, message] of cases) {
      const error = await loadNodeConfig({ file: await write(value), env: { TEEFN_TEST_KEY: 'x' } }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
    }
  })

  it('serves every registered consumer without a consumer list, and checks the allow- and deny-lists', async () => {
    const env = { TEEFN_TEST_KEY: 'x' }
    const chain = (fields: object) => {
      const { consumers: _, ...rest } = valid.evm[0]!
      return { ...valid, evm: [{ ...rest, ...fields }] }
    }
    const open = await loadNodeConfig({ file: await write(chain({})), env })
    expect(open.evm![0]!.consumers).toBeUndefined()
    const other = `0x${'cd'.repeat(20)}`
    const denying = await loadNodeConfig({ file: await write(chain({ denyConsumers: [other] })), env })
    expect(denying.evm![0]!.denyConsumers).toEqual([other])
    const phat = await loadNodeConfig({ file: await write(chain({ phatAttestors: [other] })), env })
    expect(phat.evm![0]!.phatAttestors).toEqual([other])
    const { submitterKey: _, ...keyless } = chain({}).evm[0]!
    const cases: [unknown, RegExp][] = [
      [
        { ...valid, evm: [{ ...keyless, phatAttestors: [other] }] },
        /evm\.0\.phatAttestors needs evm\.0\.submitterKey/,
      ],
      [chain({ phatAttestors: [] }), /evm\.0\.phatAttestors must not have fewer than 1 items/],
      [chain({ consumers: [] }), /evm\.0\.consumers must not have fewer than 1 items/],
      [chain({ denyConsumers: ['0x12'] }), /evm\.0\.denyConsumers\.0 must match pattern/],
      [
        chain({ consumers: [address, other], denyConsumers: [other.toUpperCase().replace('0X', '0x')] }),
        /evm\.0\.denyConsumers\.0 \(0xCDCD.*\) is also in evm\.0\.consumers/,
      ],
    ]
    for (const [value, message] of cases) {
      const error = await loadNodeConfig({ file: await write(value), env }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
    }
  })

  it('validates the production settings of the API and the retention, naming the field', async () => {
    const env = { TEEFN_TEST_KEY: 'x' }
    const server = (fields: object) => ({ ...valid, server: fields })
    const cases: [unknown, RegExp][] = [
      [server({ publicUrl: 'teefn.example' }), /server\.publicUrl must match pattern/],
      [server({ publicUrl: 'https://teefn.example/api' }), /server\.publicUrl must match pattern/],
      [
        server({ host: '0.0.0.0' }),
        /server\.publicUrl must be set when server\.host is 0\.0\.0\.0: owner signatures name the URL/,
      ],
      [
        server({ upload: { allowedOwners: ['0x12'] } }),
        /server\.upload\.allowedOwners\.0 must match pattern/,
      ],
      [server({ upload: { allowedOwners: [] } }), /server\.upload\.allowedOwners must not have fewer than 1/],
      [server({ upload: { owners: [address] } }), /server\.upload\.owners is not a known field/],
      [
        server({ maximumLimits: { stackBytes: 1024 * 1024 } }),
        /server\.maximumLimits\.stackBytes must be <= 262144/,
      ],
      [
        server({ maximumLimits: { timeoutMs: 1000 } }),
        /server\.maximumLimits\.timeoutMs is 1000, below the default/,
      ],
      [
        server({ maximumLimits: { resultBytes: 1024 * 1024 } }),
        /server\.maximumLimits\.resultBytes is 1048576, more than a job keeps \(retention\.resultBytes, 65536\)/,
      ],
      [server({ trustProxy: 'yes' }), /server\.trustProxy /],
      [
        server({ cors: { origins: ['https://app.example/path'] } }),
        /server\.cors\.origins\.0 must match pattern/,
      ],
      [
        server({ timeouts: { headersMs: 5000, requestMs: 1000 } }),
        /server\.timeouts\.requestMs is 1000, shorter than/,
      ],
      [
        server({ timeouts: { idleMs: 60_000 } }),
        /server\.timeouts\.idleMs is 60000: an invocation may wait 120000 ms/,
      ],
      [server({ maxConnections: 0 }), /server\.maxConnections must be >= 1/],
      [{ ...valid, retention: { completed: { count: 0 } } }, /retention\.completed\.count must be >= 1/],
      [{ ...valid, retention: { eventsMaxLen: 10 } }, /retention\.eventsMaxLen must be >= 100/],
      [{ ...valid, retention: { resultBytes: 'big' } }, /retention\.resultBytes must be integer/],
    ]
    for (const [value, message] of cases) {
      const error = await loadNodeConfig({ file: await write(value), env }).catch((e: unknown) => e)
      expect(error, String(message)).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
    }
    const production = {
      ...valid,
      server: {
        host: '0.0.0.0',
        publicUrl: 'https://teefn.example',
        upload: { allowedOwners: [address], maxAgeSeconds: 120, rateLimitMax: 10 },
        maximumLimits: { timeoutMs: 30_000, resultBytes: 128 * 1024 },
        rateLimit: { max: 100 },
        trustProxy: ['10.0.0.0/8'],
        cors: { origins: ['https://app.example'] },
        timeouts: { headersMs: 5_000, requestMs: 20_000, idleMs: 150_000, keepAliveMs: 2_000 },
        maxConnections: 2_000,
      },
      retention: {
        completed: { ageSeconds: 600, count: 500 },
        failed: { count: 100 },
        eventsMaxLen: 1_000,
        resultBytes: 128 * 1024,
      },
    }
    const loaded = await loadNodeConfig({ file: await write(production), env })
    expect(loaded.server).toEqual(production.server)
    expect(loaded.retention).toEqual(production.retention)
  })

  it("validates the HTTP lane's share of the worker, naming the field", async () => {
    const env = { TEEFN_TEST_KEY: 'x' }
    const worker = (fields: object) => ({ ...valid, worker: fields })
    const cases: [unknown, RegExp][] = [
      [worker({ httpConcurrency: 0 }), /worker\.httpConcurrency must be >= 1/],
      [worker({ httpThreads: 'half' }), /worker\.httpThreads must be integer/],
      [
        worker({ concurrency: 4, httpConcurrency: 4 }),
        /worker\.httpConcurrency is 4, not less than worker\.concurrency \(4\): chain requests would have none left/,
      ],
      [
        worker({ threads: 2, httpConcurrency: 3 }),
        /worker\.httpConcurrency is 3, not less than worker\.concurrency \(2\)/,
      ],
      [
        worker({ threads: 4, httpThreads: 5 }),
        /worker\.httpThreads is 5, not less than worker\.threads \(4\)/,
      ],
    ]
    for (const [value, message] of cases) {
      const error = await loadNodeConfig({ file: await write(value), env }).catch((e: unknown) => e)
      expect(error, String(message)).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
    }
    const lanes = { threads: 4, httpThreads: 2, concurrency: 8, httpConcurrency: 3 }
    expect((await loadNodeConfig({ file: await write(worker(lanes)), env })).worker).toEqual(lanes)
    // A node without chains may give HTTP everything, and no more.
    const { evm: _, ...httpOnly } = valid
    const all = { threads: 2, httpThreads: 2, concurrency: 4, httpConcurrency: 4 }
    expect((await loadNodeConfig({ file: await write({ ...httpOnly, worker: all }), env })).worker).toEqual(
      all,
    )
    await expect(
      loadNodeConfig({ file: await write({ ...httpOnly, worker: { threads: 2, httpThreads: 3 } }), env }),
    ).rejects.toThrow(/worker\.httpThreads is 3, more than worker\.threads \(2\)\./)
    // One thread and one slot: HTTP may share them (nothing smaller is possible).
    const single = { threads: 1, httpThreads: 1, httpConcurrency: 1 }
    expect((await loadNodeConfig({ file: await write(worker(single)), env })).worker).toEqual(single)
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

  it('takes a gatekeeper section: --role gatekeeper moves --port to it; allowDev is refused in production mode', async () => {
    const env = { TEEFN_TEST_KEY: '0x01', GATEKEEPER_KEY: '0x02' }
    const gatekeeper = { key: 'env:GATEKEEPER_KEY', allowDev: true, peers: ['http://127.0.0.1:9001'] }
    const file = await write({ ...valid, gatekeeper })
    const loaded = await loadNodeConfig({ file, env, overrides: { roles: ['gatekeeper'], port: 9300 } })
    expect(loaded.gatekeeper).toEqual({ ...gatekeeper, port: 9300 })
    await expect(loadNodeConfig({ file, env: { ...env, NODE_ENV: 'production' } })).rejects.toThrow(
      /gatekeeper.allowDev is refused in production mode/,
    )
    const onDstack = await write({ ...valid, gatekeeper, tee: { provider: 'dstack' } })
    await expect(loadNodeConfig({ file: onDstack, env })).rejects.toThrow(/allowDev is refused/)
    await expect(
      loadNodeConfig({ file: await write(valid), env, overrides: { roles: ['gatekeeper'] } }),
    ).rejects.toThrow(/needs a gatekeeper section/)
    await expect(loadNodeConfig({ file, env: { TEEFN_TEST_KEY: '0x01' } })).rejects.toThrow(
      /gatekeeper.key names/,
    )
  })
})
