import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex } from '@noble/hashes/utils.js'

/** A signature as Lit's SDK returns it in `executeJs(...).signatures[sigName]`. */
export type LitSignature = {
  /** 32 bytes, hex without `0x`. */
  r: string
  s: string
  /** 0 or 1. */
  recid: number
  /** `0x` r s v, v = 27 + recid: what `ethers.utils.splitSignature` and viem read. */
  signature: `0x${string}`
  /** The uncompressed public key (`04...`), upper-case hex without `0x`. */
  publicKey: string
  /** The 32 bytes signed, upper-case hex without `0x`. */
  dataSigned: string
}

/**
 * Signs a 32-byte digest with secp256k1 (low-s, RFC 6979), in the shape Lit's SDK gives a combined `signEcdsa`
 * signature. Bundled into `--compat lit` functions.
 */
export function signLitEcdsa(privateKey: Uint8Array, digest: Uint8Array): LitSignature {
  if (digest.length !== 32) throw new Error(`toSign must be 32 bytes (a hash); got ${digest.length} bytes`)
  const signed = secp256k1.sign(digest, privateKey, { lowS: true })
  const r = signed.r.toString(16).padStart(64, '0')
  const s = signed.s.toString(16).padStart(64, '0')
  const v = (27 + signed.recovery).toString(16)
  return {
    r,
    s,
    recid: signed.recovery,
    signature: `0x${r}${s}${v}`,
    publicKey: bytesToHex(secp256k1.getPublicKey(privateKey, false)).toUpperCase(),
    dataSigned: bytesToHex(digest).toUpperCase(),
  }
}
