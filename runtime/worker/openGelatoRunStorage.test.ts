import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { compatBanner } from '../compat/compatMode.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import type { InvocationOutcome } from '../sandbox/types.js'
import { createRedisGelatoStorageStore } from '../store/createRedisGelatoStorageStore.js'
import { openGelatoRunStorage } from './openGelatoRunStorage.js'

let redis: Redis
useRedisServer({ isolate: true }, ({ connection }) => {
  redis = connection
})

const functionKey = new Uint8Array(32).fill(5)
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'ab'.repeat(20)}`,
  functionId: `0x${'33'.repeat(32)}`,
}
const gelatoCode = `${compatBanner('gelato')}\nexport default () => ''`
const stats = { durationMs: 1, fetches: 0, cpuMs: 1 }
const succeeded = (storage: unknown): InvocationOutcome => ({
  ok: true,
  result: '{}',
  error: null,
  logs: [],
  stats,
  compat: { storage },
})

const open = (code = gelatoCode) =>
  openGelatoRunStorage({
    store: createRedisGelatoStorageStore({ redis }),
    code,
    request: '{"storage":{"n":"caller"}}',
    scope,
    functionKey,
  })

describe('openGelatoRunStorage', () => {
  it('has nothing to do for a function of another mode, or a run without the function key', async () => {
    expect(await open(`${compatBanner('lit')}\nx`)).toBeUndefined()
    expect(await open('export default () => 1')).toBeUndefined()
    const store = createRedisGelatoStorageStore({ redis })
    expect(
      await openGelatoRunStorage({ store, code: gelatoCode, request: '', scope, functionKey: undefined }),
    ).toBeUndefined()
  })

  it("gives the run the kept storage, not the caller's, and writes back only a change", async () => {
    const first = await open()
    if (!first?.ok) throw new Error('not opened')
    expect(JSON.parse(first.request)).toEqual({ storage: {} })
    expect(await first.save(succeeded({ n: '1' }))).toBeUndefined()
    const second = await open()
    if (!second?.ok) throw new Error('not opened')
    expect(JSON.parse(second.request)).toEqual({ storage: { n: '1' } })
    expect(await second.save(succeeded({ n: '1' }))).toBeUndefined()
    expect(await createRedisGelatoStorageStore({ redis }).load(scope, functionKey)).toMatchObject({
      version: 1,
    })
  })

  it('writes nothing after a failed run, and refuses a storage that is not an object of strings', async () => {
    const run = await open()
    if (!run?.ok) throw new Error('not opened')
    const failed: InvocationOutcome = {
      ok: false,
      result: null,
      error: { code: 'FUNCTION_ERROR', message: 'x' },
      logs: [],
      stats,
      compat: { storage: { n: '9' } },
    }
    expect(await run.save(failed)).toBeUndefined()
    expect(await run.save(succeeded({ n: 9 }))).toContain('not an object of strings')
    expect(await createRedisGelatoStorageStore({ redis }).load(scope, functionKey)).toEqual({
      version: 0,
      storage: {},
    })
  })

  it('ends in a message, not a throw, when the stored blob does not open', async () => {
    await createRedisGelatoStorageStore({ redis }).save(scope, new Uint8Array(32).fill(6), {
      version: 0,
      storage: { n: '1' },
    })
    expect(await open()).toMatchObject({
      ok: false,
      message: expect.stringContaining('cannot be opened by this worker'),
    })
  })
})
