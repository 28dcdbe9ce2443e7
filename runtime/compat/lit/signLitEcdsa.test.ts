import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { recoverPublicKey } from 'viem'
import { describe, expect, it } from 'vitest'
import { signLitEcdsa } from './signLitEcdsa.js'

const privateKey = new Uint8Array(32).fill(3)
const digest = new Uint8Array(32).map((_, index) => index)

describe('signLitEcdsa', () => {
  it("signs a 32-byte digest in the shape of Lit's combined signatures, recovering to its public key", async () => {
    const signed = signLitEcdsa(privateKey, digest)
    expect(signed.r).toMatch(/^[0-9a-f]{64}$/)
    expect(signed.s).toMatch(/^[0-9a-f]{64}$/)
    expect([0, 1]).toContain(signed.recid)
    expect(signed.signature).toBe(`0x${signed.r}${signed.s}${(27 + signed.recid).toString(16)}`)
    expect(signed.publicKey).toBe(bytesToHex(secp256k1.getPublicKey(privateKey, false)).toUpperCase())
    expect(signed.dataSigned).toBe(bytesToHex(digest).toUpperCase())
    const recovered = await recoverPublicKey({ hash: `0x${bytesToHex(digest)}`, signature: signed.signature })
    expect(recovered).toBe(`0x${signed.publicKey.toLowerCase()}`)
    // Low-s and deterministic (RFC 6979), as every Ethereum verifier wants.
    expect(BigInt(`0x${signed.s}`) <= secp256k1.CURVE.n / 2n).toBe(true)
    expect(signLitEcdsa(privateKey, digest)).toEqual(signed)
  })

  it('refuses anything but 32 bytes, as Lit nodes do', () => {
    expect(() => signLitEcdsa(privateKey, new Uint8Array(31))).toThrow(
      'toSign must be 32 bytes (a hash); got 31 bytes',
    )
  })
})
