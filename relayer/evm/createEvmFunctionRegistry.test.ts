import { id, keccak256, toUtf8Bytes } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../../cli/dev/startAnvil.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { mined, type TeefnContractsFixture } from '../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../test/support/useTeefnChain.js'
import { createEvmFunctionRegistry, UnknownEvmChainError } from './createEvmFunctionRegistry.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

const requestFor = (functionId: string, chainId = String(anvil.chainId)): RequestJobData => ({
  trigger: 'evm',
  chainId,
  destination: f.oracle.target as `0x${string}`,
  requestId: `0x${'11'.repeat(32)}`,
  functionId: functionId as `0x${string}`,
  request: '0x',
  seenAt: Date.now(),
})

describe('createEvmFunctionRegistry', () => {
  it('reads the codeHash the chain registry names now, and follows an upgrade at once', async () => {
    const registry = createEvmFunctionRegistry({
      chains: [{ chainId: anvil.chainId, registry: await f.registry.getAddress(), rpcUrl: anvil.rpcUrl }],
    })
    expect(await registry.codeHashOf(requestFor(f.functionId))).toBe(f.codeHash.toLowerCase())

    const upgraded = keccak256(toUtf8Bytes('bundle of the price function v2'))
    await mined(f.registry.connect(f.functionOwner).upgradeFunction(f.functionId, upgraded))
    expect(await registry.codeHashOf(requestFor(f.functionId))).toBe(upgraded)
  })

  it('answers undefined for a function nobody registered (the registry says zero)', async () => {
    const registry = createEvmFunctionRegistry({
      chains: [{ chainId: anvil.chainId, registry: await f.registry.getAddress(), rpcUrl: anvil.rpcUrl }],
    })
    expect(await registry.codeHashOf(requestFor(id('never registered')))).toBeUndefined()
  })

  it('says so when the configured address holds no registry', async () => {
    const registry = createEvmFunctionRegistry({
      chains: [{ chainId: anvil.chainId, registry: f.stranger.address, rpcUrl: anvil.rpcUrl }],
    })
    const error = await rejectionOf(registry.codeHashOf(requestFor(f.functionId)))
    expect((error as { code: string }).code).toBe('EVM_REGISTRY_BAD_ANSWER')
    registry.close()
  })

  it('refuses a request of a chain it has no registry for', async () => {
    const registry = createEvmFunctionRegistry({
      chains: [{ chainId: anvil.chainId, registry: await f.registry.getAddress(), rpcUrl: anvil.rpcUrl }],
    })
    const error = await rejectionOf(registry.codeHashOf(requestFor(f.functionId, '1')))
    expect(error).toBeInstanceOf(UnknownEvmChainError)
    expect((error as UnknownEvmChainError).code).toBe('EVM_CHAIN_UNKNOWN')
  })
})
