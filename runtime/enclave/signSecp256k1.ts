import { createRequire } from 'node:module'
import { secp256k1 } from '@noble/curves/secp256k1.js'

export type SignSecp256k1Parameters = {
  /** The 32-byte message digest (e.g. an EIP-712 hash). */
  digest: Uint8Array
  /** The 32-byte private key. */
  privateKey: Uint8Array
}

export type SignSecp256k1ReturnType = {
  /** r || s, 64 bytes, s in the lower half of the order. */
  compact: Uint8Array
  /** 0 or 1: which of the two points with x = r is R (Ethereum's v is 27 + recovery). */
  recovery: number
}

type Libsecp256k1 = {
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
}

/**
 * libsecp256k1 (bitcoin-core's C library, through the `secp256k1` bindings, an optional dependency with
 * prebuilt binaries), or undefined where it cannot load. It signs in about 40 µs on the 2-core CI machine,
 * @noble/curves in about 300 µs, and every envelope is signed on the worker's main thread.
 */
export const libsecp256k1: Libsecp256k1 | undefined = (() => {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as Libsecp256k1
  } catch {
    return undefined
  }
})()

// The fallback signs often too: a precomputed table of multiples of G makes each signature ~20% cheaper.
if (!libsecp256k1) secp256k1.utils.precompute(8)

/** Which implementation `signSecp256k1` uses in this process. */
export const secp256k1Implementation: 'libsecp256k1' | '@noble/curves' = libsecp256k1
  ? 'libsecp256k1'
  : '@noble/curves'

/**
 * Signs a digest with ECDSA over secp256k1: RFC 6979 nonces and low s, so both implementations give the
 * same bytes for the same key and digest (the tests check they do).
 */
export function signSecp256k1({ digest, privateKey }: SignSecp256k1Parameters): SignSecp256k1ReturnType {
  if (libsecp256k1) {
    const { signature, recid } = libsecp256k1.ecdsaSign(digest, privateKey)
    return { compact: signature, recovery: recid }
  }
  return signSecp256k1WithNoble({ digest, privateKey })
}

/** The pure-JavaScript implementation (@noble/curves). */
export function signSecp256k1WithNoble({
  digest,
  privateKey,
}: SignSecp256k1Parameters): SignSecp256k1ReturnType {
  const signature = secp256k1.sign(digest, privateKey, { lowS: true })
  return { compact: signature.toCompactRawBytes(), recovery: signature.recovery }
}
