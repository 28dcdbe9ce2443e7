import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeConfig } from './loadNodeConfig.js'

const key = (byte: string) => `0x${byte.repeat(32)}`
const env = { SUBSTRATE_FEE_PAYER: '//Bob' }
const chain = {
  wsUrl: 'ws://127.0.0.1:9944',
  rpcQuorum: 1,
  submitterUri: 'env:SUBSTRATE_FEE_PAYER',
  functions: {},
}
const configWith = (resultQuorum: unknown, peers: string[] | null = ['http://node-b:8787']) => ({
  redisUrl: 'redis://127.0.0.1:6379',
  substrate: [{ ...chain, resultQuorum }],
  ...(peers ? { quorum: { peers } } : {}),
})

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-substrate-quorum-config-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const load = async (value: unknown) => {
  const file = join(dir, `${Math.random()}.json`)
  await writeFile(file, JSON.stringify(value))
  return loadNodeConfig({ file, env })
}

describe('substrate[].resultQuorum', () => {
  it('takes a threshold and the pinned worker keys', async () => {
    const resultQuorum = { threshold: 2, workers: [key('aa'), key('bb')], timeoutSeconds: 120 }
    expect((await load(configWith(resultQuorum))).substrate![0]!.resultQuorum).toEqual(resultQuorum)
    // k = 1 needs no peers: nothing is exchanged.
    await expect(load(configWith({ threshold: 1, workers: [] }, null))).resolves.toBeDefined()
  })

  it('refuses malformed settings, naming the field', async () => {
    for (const [bad, message] of [
      [{ threshold: 0, workers: [] }, /substrate\.0\.resultQuorum\.threshold/],
      [{ threshold: 33, workers: [] }, /substrate\.0\.resultQuorum\.threshold/],
      [{ threshold: 2, workers: ['0x1234'] }, /substrate\.0\.resultQuorum\.workers\.0/],
      [{ threshold: 2 }, /substrate\.0\.resultQuorum/],
      [{ threshold: 2, workers: [], extra: 1 }, /substrate\.0\.resultQuorum\.extra is not a known field/],
    ] as const) {
      await expect(load(configWith(bad))).rejects.toThrow(message)
    }
  })

  it('refuses a threshold no worker set can reach, a key listed twice, and a quorum without peers', async () => {
    await expect(load(configWith({ threshold: 3, workers: [key('aa')] }))).rejects.toThrow(
      /substrate\.0\.resultQuorum\.threshold is 3, more than substrate\.0\.resultQuorum\.workers \(1\)/,
    )
    await expect(
      load(configWith({ threshold: 2, workers: [key('aa'), key('AA').replace('0X', '0x')] })),
    ).rejects.toThrow(/substrate\.0\.resultQuorum\.workers\.1 .* is listed twice/)
    await expect(load(configWith({ threshold: 2, workers: [key('aa')] }, null))).rejects.toThrow(
      /substrate\.0\.resultQuorum needs peers/,
    )
  })
})
