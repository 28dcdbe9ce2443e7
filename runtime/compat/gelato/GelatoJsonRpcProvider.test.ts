import { Contract, providers } from 'ethers5'
import { describe, expect, it } from 'vitest'
import type { TeefnContractsFixture } from '../../../test/support/teefnContracts.js'
import { type AnvilInstance, useTeefnChain } from '../../../test/support/useTeefnChain.js'
import { BigNumber } from './BigNumber.js'
import { createRpcClient } from './createRpcClient.js'
import { GelatoJsonRpcProvider } from './GelatoJsonRpcProvider.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

/** ethers v5's own provider and ours on the same chain, each call of ours counted against `limit`. */
function providersOf(limit = 100) {
  const client = createRpcClient({ limit })
  return {
    ours: new GelatoJsonRpcProvider(anvil.rpcUrl, 31337, client),
    theirs: new providers.StaticJsonRpcProvider(anvil.rpcUrl, 31337),
    client,
  }
}

/** A value as comparable JSON: BigNumbers (ethers' or ours) as decimal strings. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, entry) {
      const raw = this[key] as { _isBigNumber?: boolean; toString(): string } | undefined
      return raw?._isBigNumber ? `big:${BigNumber.from(raw).toString()}` : entry
    }),
  )
}

/** Ours must give every field ethers v5 gives, alike (ethers' extra bookkeeping fields aside). */
function expectLike(ours: unknown, theirs: unknown, skip: string[] = []) {
  const expected = plain(theirs) as Record<string, unknown>
  for (const key of [...skip, 'confirmations', 'wait', 'creates']) delete expected[key]
  expect(plain(ours)).toMatchObject(expected)
}

describe('GelatoJsonRpcProvider', () => {
  it("answers as ethers v5's StaticJsonRpcProvider does: blocks, balances, code, storage, fees", async () => {
    const { ours, theirs } = providersOf()
    const oracle = await f.oracle.getAddress()
    const owner = f.oracleOwner.address
    expect(await ours.getNetwork()).toMatchObject({ chainId: 31337, name: 'unknown' })
    expect(await ours.getBlockNumber()).toBe(await theirs.getBlockNumber())
    expectLike(await ours.getBlock('latest'), await theirs.getBlock('latest'))
    expectLike(await ours.getBlock(1), await theirs.getBlock(1))
    expect(plain(await ours.getBalance(owner))).toEqual(plain(await theirs.getBalance(owner)))
    expect(await ours.getTransactionCount(owner)).toBe(await theirs.getTransactionCount(owner))
    expect(await ours.getCode(oracle)).toBe(await theirs.getCode(oracle))
    expect(await ours.getStorageAt(oracle, 0)).toBe(await theirs.getStorageAt(oracle, 0))
    expect(plain(await ours.getGasPrice())).toEqual(plain(await theirs.getGasPrice()))
    expect(plain(await ours.getFeeData())).toEqual(plain(await theirs.getFeeData()))
  })

  it('gives logs, receipts and transactions in ethers v5 shapes, and Contract queries events through it', async () => {
    const { ours, theirs } = providersOf()
    const sent = await f.sendPriceRequest('0x01')
    const hash = sent.receipt.hash
    expectLike(await ours.getTransactionReceipt(hash), await theirs.getTransactionReceipt(hash))
    expectLike(await ours.getTransaction(hash), await theirs.getTransaction(hash), ['raw'])
    const filter = { address: await f.oracle.getAddress(), fromBlock: 0, toBlock: 'latest' }
    const logs = await ours.getLogs(filter)
    expect(logs.length).toBeGreaterThan(0)
    expect(plain(logs)).toEqual(plain(await theirs.getLogs(filter)))
  })

  it("serves ethers v5's Contract: calls, reverts decoded, estimateGas, populated calls", async () => {
    const { ours } = providersOf()
    const abi = [
      'function functionId() view returns (bytes32)',
      'function latest() view returns (uint256, uint64, bytes32)',
      'function requestPrice(bytes payload) returns (bytes32)',
      'error NoPriceYet()',
    ]
    const oracle = new Contract(await f.oracle.getAddress(), abi, ours as never)
    expect(await oracle.functionId()).toBe(f.functionId)
    await expect(oracle.latest()).rejects.toMatchObject({ code: 'CALL_EXCEPTION', errorName: 'NoPriceYet' })
    const gas = await oracle.estimateGas.requestPrice!('0x01', { from: f.oracleOwner.address })
    expect(gas.gt(21_000)).toBe(true)
    // From anyone but the owner, the call reverts (Ownable's custom error, not in this ABI).
    await expect(oracle.callStatic.requestPrice!('0x01', { from: f.stranger.address })).rejects.toMatchObject(
      {
        code: 'CALL_EXCEPTION',
      },
    )
  })

  it('counts every call against the limit, refusing past it except eth_chainId and net_version', async () => {
    const { ours, client } = providersOf(2)
    await ours.getBlockNumber()
    await ours.send('eth_chainId')
    expect(client.remaining()).toBe(0)
    expect(await ours.send('net_version')).toBe('31337')
    await expect(ours.getBlockNumber()).rejects.toThrow('Request limit exceeded.')
    expect(client.limitHit()).toBe(true)
  })

  it('refuses what a read-only run cannot do, saying why', async () => {
    const { ours } = providersOf()
    await expect(ours.resolveName('vitalik.eth')).rejects.toThrow('ENS names are not resolved')
    await expect(ours.sendTransaction()).rejects.toThrow('return callData from onRun')
    expect(() => ours.on()).toThrow('use getLogs or queryFilter')
  })
})
