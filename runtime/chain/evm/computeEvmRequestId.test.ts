import { AbiCoder, hexlify, keccak256, randomBytes } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { Hex } from '../../enclave/bytes.js'
import { computeEvmRequestId } from './computeEvmRequestId.js'

const random = (length: number) => hexlify(randomBytes(length)) as Hex

describe('computeEvmRequestId', () => {
  it('is keccak256(abi.encode(chainid, consumer, nonce, requester, functionId, payloadHash))', () => {
    for (let i = 0; i < 20; i++) {
      const fields = {
        chainId: BigInt(1 + i * 7919),
        consumer: random(20),
        nonce: BigInt(i) << BigInt(i * 3),
        requester: random(20),
        functionId: random(32),
        payloadHash: keccak256(random(i)) as Hex,
      }
      const expected = keccak256(
        AbiCoder.defaultAbiCoder().encode(
          ['uint256', 'address', 'uint64', 'address', 'bytes32', 'bytes32'],
          [
            fields.chainId,
            fields.consumer,
            fields.nonce,
            fields.requester,
            fields.functionId,
            fields.payloadHash,
          ],
        ),
      )
      expect(computeEvmRequestId(fields)).toBe(expected)
    }
  })

  it('changes with every field it commits to', () => {
    const base = {
      chainId: 1n,
      consumer: random(20),
      nonce: 3n,
      requester: random(20),
      functionId: random(32),
      payloadHash: random(32),
    }
    const id = computeEvmRequestId(base)
    for (const changed of [
      { chainId: 2n },
      { consumer: random(20) },
      { nonce: 4n },
      { requester: random(20) },
      { functionId: random(32) },
      { payloadHash: random(32) },
    ]) {
      expect(computeEvmRequestId({ ...base, ...changed })).not.toBe(id)
    }
    expect(() => computeEvmRequestId({ ...base, consumer: '0x12' })).toThrow(RangeError)
  })
})
