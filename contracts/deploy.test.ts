import { JsonRpcProvider, Network, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../dev/startAnvil.js'
import { deployPriceOracle, deployRegistry } from './artifacts.js'

let anvil: AnvilInstance

beforeAll(async () => {
  anvil = await startAnvil()
})

afterAll(async () => {
  await anvil?.stop()
})

describe('deploy', () => {
  it('deploys back to back through a provider that caches results (ethers defaults: no "nonce too low")', async () => {
    // ethers' default cacheTimeout (250 ms) would hand the second deployment the first one's pending nonce.
    const provider = new JsonRpcProvider(anvil.rpcUrl, Network.from(anvil.chainId), { staticNetwork: true })
    try {
      const signer = new Wallet(anvil.privateKeys[3]!, provider)
      const first = await deployRegistry(signer)
      const second = await deployRegistry(signer)
      const oracle = await deployPriceOracle(signer, {
        registry: await first.getAddress(),
        functionId: `0x${'11'.repeat(32)}`,
      })
      const addresses = new Set([
        await first.getAddress(),
        await second.getAddress(),
        await oracle.getAddress(),
      ])
      expect(addresses.size).toBe(3)
      expect(await provider.send('eth_getTransactionCount', [signer.address, 'latest'])).toBe('0x3')
    } finally {
      provider.destroy()
    }
  })
})
