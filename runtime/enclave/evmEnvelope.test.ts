import { secp256k1 } from '@noble/curves/secp256k1.js'
import { recoverAddress } from 'ethers'
import { describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, type Hex } from '../bytes.js'
import { evmAddressOf, recoverEvmSigner } from './evmEnvelope.js'

function sign(digest: Uint8Array, key: Uint8Array): Uint8Array {
  const signature = secp256k1.sign(digest, key, { lowS: true })
  return concatBytes(signature.toCompactRawBytes(), Uint8Array.of(27 + signature.recovery))
}

describe('recoverEvmSigner', () => {
  it('agrees with ethers recoverAddress, with and without the expected-key fast path', () => {
    const key = secp256k1.utils.randomPrivateKey()
    const address = evmAddressOf(secp256k1.getPublicKey(key, false))
    for (let i = 0; i < 20; i++) {
      const digest = secp256k1.utils.randomPrivateKey() // 32 random bytes
      const signature = sign(digest, key)
      const flippedV = signature.slice()
      flippedV[64] = flippedV[64] === 27 ? 28 : 27
      const otherDigest = digest.slice()
      otherDigest[0]! ^= 1
      for (const [d, s] of [
        [digest, signature],
        [digest, flippedV],
        [otherDigest, signature],
      ] as const) {
        const reference = recoverAddress(bytesToHex(d), bytesToHex(s)).toLowerCase()
        // Twice with the expected address: the first recovers and caches the key, the second uses the cache.
        expect(recoverEvmSigner(d, s, address)).toBe(reference)
        expect(recoverEvmSigner(d, s, address)).toBe(reference)
        expect(recoverEvmSigner(d, s)).toBe(reference)
      }
      expect(recoverEvmSigner(digest, signature, address)).toBe(address)
    }
  })

  it('refuses what ecrecover-with-OpenZeppelin refuses: high s, v not 27/28, wrong length, r or s out of range', () => {
    const key = secp256k1.utils.randomPrivateKey()
    const address = evmAddressOf(secp256k1.getPublicKey(key, false))
    const digest = new Uint8Array(32).fill(5)
    const signature = sign(digest, key)
    recoverEvmSigner(digest, signature, address)
    const n = secp256k1.CURVE.n
    const s = BigInt(bytesToHex(signature.subarray(32, 64)))
    const highS = concatBytes(
      signature.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
      Uint8Array.of(signature[64] === 27 ? 28 : 27),
    )
    const zeroR = concatBytes(new Uint8Array(32), signature.subarray(32))
    const badV = signature.slice()
    badV[64] = 1
    for (const bad of [highS, zeroR, badV, signature.subarray(0, 64)]) {
      expect(recoverEvmSigner(digest, bad, address)).toBeUndefined()
      expect(recoverEvmSigner(digest, bad)).toBeUndefined()
    }
    expect(recoverEvmSigner(digest, signature, `0x${'00'.repeat(20)}` as Hex)).toBe(address)
  })
})
