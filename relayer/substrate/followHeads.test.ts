import type { ApiPromise } from '@polkadot/api'
import type { KeyringPair } from '@polkadot/keyring/types'
import { describe, expect, it } from 'vitest'
import { useSubstrateChain } from '../../test/support/useSubstrateChain.js'
import { followHeads, readHead } from './followHeads.js'
import { submitAndWatch } from './submitAndWatch.js'

let api: ApiPromise
let alice: KeyringPair
useSubstrateChain({}, (chain) => ({ api, alice } = chain))

/** Builds a block (chopsticks Instant mode: one per extrinsic) and returns its number. */
async function newBlock(): Promise<number> {
  const tx = api.tx.system.remark('0x01')
  await tx.signAsync(alice, { nonce: -1 })
  const { blockHash } = await submitAndWatch(api, tx)
  return (await api.rpc.chain.getHeader(blockHash)).number.toNumber()
}

/** Waits until `check` holds, for 10 s at most. */
async function until(check: () => boolean) {
  const deadline = Date.now() + 10_000
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(check()).toBe(true)
}

describe('readHead', () => {
  it('reads the best head, and a finalized head no higher', async () => {
    const number = await newBlock()
    expect(await readHead(api, 'best')).toBe(number)
    expect(await readHead(api, 'finalized')).toBeLessThanOrEqual(number)
  })
})

describe('followHeads', () => {
  it('tells of the head at once and of every new one, and of none once stopped', async () => {
    const heads: number[] = []
    const now = await readHead(api, 'best')
    const following = await followHeads(api, {
      mode: 'best',
      pollIntervalMs: 60_000,
      onHead: (n) => heads.push(n),
    })
    await until(() => heads.includes(now))
    const next = await newBlock()
    await until(() => heads.includes(next))
    following.stop()
    const after = await newBlock()
    await readHead(api, 'best') // a round trip after the new head: its notification, if any, came first
    expect(heads).not.toContain(after)
  })

  it('polls the head too, besides the subscription', async () => {
    const heads: number[] = []
    const following = await followHeads(api, {
      mode: 'finalized',
      pollIntervalMs: 20,
      onHead: (n) => heads.push(n),
    })
    try {
      const finalized = await readHead(api, 'finalized')
      await until(() => heads.filter((n) => n === finalized).length >= 3)
    } finally {
      following.stop()
    }
  })
})
