import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createRpcClient, type RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import {
  deployPhatAttestor,
  deployTestPhatConsumer,
  encodePhatReply,
  type TeefnPhatAttestorContract,
  type TestPhatConsumerContract,
} from '../../test/support/phatContracts.js'
import { eventsNamed, mined, type TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createTransactionSender } from './createTransactionSender.js'
import { type PhatRelayer, startPhatRelayer } from './startPhatRelayer.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let rpc: RpcClient
let anchor: TestPhatConsumerContract
let attestor: TeefnPhatAttestorContract
let address: string
let relayer: PhatRelayer | undefined
useTeefnChain({ isolate: true }, async (chain) => {
  ;({ anvil, f } = chain)
  rpc = createRpcClient({ url: anvil.rpcUrl })
  anchor = await deployTestPhatConsumer(f.oracleOwner, f.stranger.address)
  attestor = await deployPhatAttestor(f.admin, {
    registry: String(f.registry.target),
    anchor: String(anchor.target),
    functionId: f.functionId,
  })
  address = String(attestor.target)
  await mined(anchor.connect(f.oracleOwner).setAttestor(address))
})
afterEach(async () => {
  await relayer?.stop()
  relayer = undefined
})
afterAll(() => rpc?.close())

/** A relayer for the attestor, sending from anvil account 5 (no other test sends from it). */
function start(confirmations = 0) {
  const transactions = createTransactionSender({
    rpc,
    privateKey: anvil.privateKeys[5]!,
    chainId: BigInt(anvil.chainId),
  })
  relayer = startPhatRelayer({ rpc, transactions, attestors: [address], confirmations, pollIntervalMs: 50 })
  return { relayer, transactions }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(25)
  }
}

const ZERO = `0x${'0'.repeat(64)}`

describe('startPhatRelayer', () => {
  it('relays each queued message once, in queue order, and nothing more however often it polls', async () => {
    for (const query of ['a', 'b']) await mined(anchor.connect(f.relayer).request(query))
    const { relayer, transactions } = start()
    await until(async () => (await attestor.requestIdOf(1)) !== ZERO)
    await mined(anchor.connect(f.relayer).request('c'))
    await until(async () => (await attestor.requestIdOf(2)) !== ZERO)
    for (let i = 0; i < 4; i++) await relayer.poll()
    expect(relayer.stats()).toMatchObject({ relayed: 3, flushed: 0, errors: 0 })
    expect(transactions.sent).toBe(3)
    const nonces = await Promise.all(
      [0, 1, 2].map(async (index) => (await attestor.requestInfo(await attestor.requestIdOf(index))).nonce),
    )
    expect(nonces).toEqual([0n, 1n, 2n])
  })

  it('relays a message only once it is `confirmations` blocks deep', async () => {
    const { relayer } = start(2)
    await mined(anchor.connect(f.relayer).request('a'))
    await relayer.poll()
    await relayer.poll()
    expect(await attestor.requestIdOf(0)).toBe(ZERO)
    await anvil.mine(2)
    await until(async () => (await attestor.requestIdOf(0)) !== ZERO)
    expect(relayer.stats().relayed).toBe(1)
  })

  it('flushes answers held while the attestor lost its role, once it has it again', async () => {
    await mined(anchor.connect(f.relayer).request('eth'))
    await mined(attestor.connect(f.relayer).relay(0))
    await mined(anchor.connect(f.oracleOwner).revokeAttestor(address))
    const requestId = await attestor.requestIdOf(0)
    const envelope = await f.sign({ requestId, result: encodePhatReply(1n, 'ETH') }, { consumer: address })
    const held = await mined(attestor.connect(f.relayer).fulfill(envelope))
    expect(eventsNamed(held, attestor, 'ReplyHeld')).toHaveLength(1)

    const { relayer } = start()
    await relayer.poll()
    expect(relayer.stats().flushed).toBe(0)
    await mined(anchor.connect(f.oracleOwner).setAttestor(address))
    await until(async () => (await anchor.answeredCount()) === 1n)
    expect(await anchor.answers(1n)).toBe('ETH')
    expect(relayer.stats()).toMatchObject({ relayed: 0, flushed: 1, errors: 0 })
  })
})
