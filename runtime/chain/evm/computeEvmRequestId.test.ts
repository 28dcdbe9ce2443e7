import { concat, id, keccak256, toBeHex, zeroPadValue } from 'ethers'
import { describe, expect, it } from 'vitest'
import { computeEvmRequestId } from './computeEvmRequestId.js'

const base = {
  chainId: 31_337n,
  consumer: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  nonce: 7n,
  requester: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  functionId: id('teefn.examples.price'),
  payloadHash: keccak256(Buffer.from('{"pair":"ETH/USD"}')),
}

describe('computeEvmRequestId', () => {
  it('hashes the six fields as 32-byte ABI words', () => {
    const words = concat([
      toBeHex(base.chainId, 32),
      zeroPadValue(base.consumer, 32),
      toBeHex(base.nonce, 32),
      zeroPadValue(base.requester, 32),
      base.functionId,
      base.payloadHash,
    ])
    expect(computeEvmRequestId(base)).toBe(keccak256(words))
  })

  it('changes with every field', () => {
    const id0 = computeEvmRequestId(base)
    const variants = [
      { chainId: 1n },
      { consumer: '0x000000000000000000000000000000000000dEaD' },
      { nonce: 8n },
      { requester: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' },
      { functionId: id('other') },
      { payloadHash: keccak256(Buffer.from('{"pair":"BTC/USD"}')) },
    ]
    const ids = variants.map((change) => computeEvmRequestId({ ...base, ...change }))
    expect(new Set([id0, ...ids]).size).toBe(variants.length + 1)
  })

  it('accepts numbers and any address case', () => {
    expect(
      computeEvmRequestId({ ...base, chainId: 31_337, nonce: 7, requester: base.requester.toLowerCase() }),
    ).toBe(computeEvmRequestId(base))
  })

  it('refuses fields outside their Solidity types, naming each', () => {
    let error: unknown
    try {
      computeEvmRequestId({ ...base, nonce: 1n << 64n, payloadHash: '0x1234', requester: 'alice' })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'REQUEST_ID_PARAMETERS_INVALID' })
    const { details, hint } = error as { details: string; hint: string }
    expect(details).toContain('nonce 18446744073709551616 is not a uint64')
    expect(details).toContain('requester alice is not an address')
    expect(details).toContain('payloadHash 0x1234 is not 32 bytes of hex')
    expect(details).not.toContain('functionId')
    expect(hint).toMatch(/RequestSent/)
  })
})
