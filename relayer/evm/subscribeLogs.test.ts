import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import type { RpcLog } from '../../runtime/chain/evm/requestSentLog.js'
import { type EvmWsProxy, startEvmWsProxy } from '../../test/support/startEvmWsProxy.js'
import { connectEvmWs } from './connectEvm.js'
import { subscribeLogs } from './subscribeLogs.js'

let anvil: AnvilInstance
let node: EvmWsProxy
let emitter: string

beforeAll(async () => {
  anvil = await startAnvil()
  // anvil does not announce removed logs; the proxy does, as geth does after a reorg.
  node = await startEvmWsProxy(anvil.wsUrl)
  // A contract whose every call emits one empty LOG0 (runtime: PUSH1 0 PUSH1 0 LOG0 STOP).
  const hash = await anvil.rpc<string>('eth_sendTransaction', [
    { from: anvil.accounts[0], data: '0x6006600c60003960066000f360006000a000' },
  ])
  const deadline = Date.now() + 10_000
  for (;;) {
    const receipt = await anvil.rpc<{ contractAddress: string } | null>('eth_getTransactionReceipt', [hash])
    if (receipt) {
      emitter = receipt.contractAddress
      break
    }
    if (Date.now() > deadline) throw new Error('the emitter was not deployed')
    await sleep(25)
  }
})
afterAll(async () => {
  await node?.close()
  await anvil?.stop()
})

async function until(check: () => boolean) {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(25)
  }
}

describe('subscribeLogs', () => {
  it('hands over removed logs too, which ethers never gives its own listeners', async () => {
    const provider = connectEvmWs({ url: node.url, chainId: anvil.chainId })
    try {
      const raw: RpcLog[] = []
      const viaEthers: { removed: boolean }[] = []
      subscribeLogs(provider, { address: emitter }, (log) => raw.push(log))
      await provider.on({ address: emitter }, (log) => viaEthers.push(log))
      // Both eth_subscribe calls went out before this one on the same socket.
      await provider.send('eth_blockNumber', [])
      await sleep(100)
      await anvil.rpc('eth_sendTransaction', [{ from: anvil.accounts[0], to: emitter }])
      await until(() => raw.length === 1 && viaEthers.length === 1)

      await anvil.rpc('anvil_reorg', [1, []])
      expect(node.announceRemoved({ fromBlock: 0 })).toBe(2) // one per subscription
      await until(() => raw.length === 2)
      expect(raw.map((log) => log.removed)).toEqual([false, true])
      expect(raw[1]!.transactionHash).toBe(raw[0]!.transactionHash)
      await sleep(200)
      expect(viaEthers.map((log) => log.removed)).toEqual([false])
    } finally {
      await provider.destroy()
    }
  })
})
