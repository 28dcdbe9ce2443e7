import { Transaction, Wallet } from 'ethers'
import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { testKey } from '../../test/support/teefnContracts.js'
import { signTransaction } from './signTransaction.js'

const wallet = new Wallet(testKey('relayer'))
const privateKey = Buffer.from(wallet.privateKey.slice(2), 'hex')
const to = `0x${'5a'.repeat(20)}` as Hex
const data = `0x${'c0ffee'.repeat(700)}` as Hex

describe('signTransaction', () => {
  it('signs an EIP-1559 transaction byte for byte as ethers does, access list included', async () => {
    const accessList = [{ address: to, storageKeys: [`0x${'01'.repeat(32)}` as Hex] }]
    const fields = {
      chainId: 31337,
      nonce: 7,
      to,
      data,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1n,
    }
    const signed = signTransaction({
      transaction: { type: 'eip1559', ...fields, gas: 210_000n, accessList },
      privateKey,
    })
    expect(signed).toBe(await wallet.signTransaction({ type: 2, ...fields, gasLimit: 210_000n, accessList }))
    const parsed = Transaction.from(signed)
    expect(parsed.from).toBe(wallet.address)
    expect(parsed.data).toBe(data)
  })

  it('signs a legacy transaction with EIP-155 replay protection', async () => {
    const fields = { chainId: 1284, nonce: 0, to, data, gasPrice: 1_000_000_000n }
    const signed = signTransaction({ transaction: { type: 'legacy', ...fields, gas: 90_000n }, privateKey })
    expect(signed).toBe(await wallet.signTransaction({ type: 0, ...fields, gasLimit: 90_000n }))
    const parsed = Transaction.from(signed)
    expect(parsed.from).toBe(wallet.address)
    expect(parsed.chainId).toBe(1284n)
  })
})
