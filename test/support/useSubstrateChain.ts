import type { ApiPromise } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { afterAll, beforeAll } from 'vitest'
import { connectSubstrate, type SubstrateConnection } from '../../relayer/substrate/connectSubstrate.js'
import { type ChopsticksChain, type StartChopsticksParameters, startChopsticks } from './chopsticks.js'

/** The chain a test file works on, with two funded dev accounts. */
export type SubstrateTestChain = {
  chain: ChopsticksChain
  api: ApiPromise
  /** `//Alice` and `//Bob` (sr25519), both funded. */
  alice: KeyringPair
  bob: KeyringPair
}

/**
 * The test file's Substrate chain: starts chopsticks (Instant mode unless told otherwise) with Alice and Bob
 * funded and connects to it before its tests, disconnects and closes it after them, and hands it to `ready`.
 */
export function useSubstrateChain(
  parameters: Pick<StartChopsticksParameters, 'buildBlockMode'>,
  ready: (chain: SubstrateTestChain) => unknown,
): void {
  let chain: ChopsticksChain | undefined
  let connection: SubstrateConnection | undefined
  beforeAll(async () => {
    await cryptoWaitReady()
    const keyring = new Keyring({ type: 'sr25519' })
    const [alice, bob] = [keyring.addFromUri('//Alice'), keyring.addFromUri('//Bob')]
    chain = await startChopsticks({ ...parameters, fund: [alice.address, bob.address] })
    connection = await connectSubstrate({ url: chain.wsUrl })
    await ready({ chain, api: connection.api, alice, bob })
  }, 120_000)
  afterAll(async () => {
    await connection?.close()
    await chain?.close()
  }, 60_000)
}
