import { randomBytes } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import {
  libsecp256k1,
  secp256k1Implementation,
  signSecp256k1,
  signSecp256k1WithNoble,
} from './signSecp256k1.js'

describe('signSecp256k1', () => {
  it('uses libsecp256k1 on this platform (the prebuilt binding loads)', () => {
    expect(libsecp256k1).toBeDefined()
    expect(secp256k1Implementation).toBe('libsecp256k1')
  })

  it('gives the same bytes as @noble/curves, low s, and recovers to the signer', () => {
    for (let i = 0; i < 64; i++) {
      const privateKey = secp256k1.utils.randomPrivateKey()
      const digest = new Uint8Array(randomBytes(32))
      const fast = signSecp256k1({ digest, privateKey })
      expect(fast).toEqual(signSecp256k1WithNoble({ digest, privateKey }))
      const signature = secp256k1.Signature.fromCompact(fast.compact).addRecoveryBit(fast.recovery)
      expect(signature.hasHighS()).toBe(false)
      expect(signature.recoverPublicKey(digest).toRawBytes(true)).toEqual(
        secp256k1.getPublicKey(privateKey, true),
      )
    }
  })
})
