import { invert, mod } from '@noble/curves/abstract/modular.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, type Hex, leftPad32, uint256Bytes, utf8 } from '../bytes.js'

/** The EIP-712 domain of every teefn EVM envelope, apart from chainId and verifyingContract. */
export const eip712DomainName = 'teefn'
export const eip712DomainVersion = '1'

/** The signed struct. The Solidity consumer hashes exactly this type string. */
export const fulfillmentType =
  'Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 payloadHash,bytes32 codeHash,uint8 status,bytes32 resultHash)'

/** The same types in the ethers / viem form, for `signTypedData` and `verifyTypedData`. */
export const fulfillmentTypes = {
  Fulfillment: [
    { name: 'requestId', type: 'bytes32' },
    { name: 'functionId', type: 'bytes32' },
    { name: 'payloadHash', type: 'bytes32' },
    { name: 'codeHash', type: 'bytes32' },
    { name: 'status', type: 'uint8' },
    { name: 'resultHash', type: 'bytes32' },
  ],
} as const

const domainTypeHash = keccak_256(
  utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
)
const fulfillmentTypeHash = keccak_256(utf8(fulfillmentType))
const nameHash = keccak_256(utf8(eip712DomainName))
const versionHash = keccak_256(utf8(eip712DomainVersion))
const secp256k1HalfOrder = secp256k1.CURVE.n >> 1n

export type FulfillmentDigestParameters = {
  chainId: bigint
  /** 20 bytes. */
  verifyingContract: Uint8Array
  requestId: Uint8Array
  functionId: Uint8Array
  /** keccak256 of the payload the function answered. */
  payloadHash: Uint8Array
  codeHash: Uint8Array
  status: number
  resultHash: Uint8Array
}

// Domain separators repeat (one per chain and consumer): cache a bounded number of them.
const domainSeparators = new Map<string, Uint8Array>()

/** The EIP-712 domain separator for a chain and consumer contract. */
export function domainSeparator(chainId: bigint, verifyingContract: Uint8Array): Uint8Array {
  const cacheKey = `${chainId}:${bytesToHex(verifyingContract)}`
  let separator = domainSeparators.get(cacheKey)
  if (!separator) {
    separator = keccak_256(
      concatBytes(domainTypeHash, nameHash, versionHash, uint256Bytes(chainId), leftPad32(verifyingContract)),
    )
    if (domainSeparators.size >= 1024) domainSeparators.clear()
    domainSeparators.set(cacheKey, separator)
  }
  return separator
}

/** keccak256(0x1901 || domainSeparator || hashStruct(Fulfillment)): what the worker signs and `ecrecover` checks. */
export function fulfillmentDigest(parameters: FulfillmentDigestParameters): Uint8Array {
  const structHash = keccak_256(
    concatBytes(
      fulfillmentTypeHash,
      parameters.requestId,
      parameters.functionId,
      parameters.payloadHash,
      parameters.codeHash,
      uint256Bytes(BigInt(parameters.status)),
      parameters.resultHash,
    ),
  )
  return keccak_256(
    concatBytes(
      Uint8Array.of(0x19, 0x01),
      domainSeparator(parameters.chainId, parameters.verifyingContract),
      structHash,
    ),
  )
}

type Point = ReturnType<typeof secp256k1.ProjectivePoint.fromHex>

/**
 * Public keys of workers a verifier expects, with precomputed multiples: checking a signature against a known
 * key is ~2.5x faster than recovering the key from it. Only keys the caller named as expected are kept, so an
 * attacker signing with fresh keys cannot churn the cache; bounded.
 */
const expectedKeys = new Map<string, Point>()
const expectedKeysMax = 64
const precomputeWindow = 6

/**
 * The address that made a 65-byte r||s||v signature over `digest`, as `ecrecover` (and OpenZeppelin's ECDSA,
 * which also refuses high-s and v other than 27/28) sees it; undefined when the signature is invalid.
 * With `expected` (a lowercase address the caller trusts), a key seen before is checked without recovery.
 */
export function recoverEvmSigner(digest: Uint8Array, signature: Uint8Array, expected?: Hex): Hex | undefined {
  if (signature.length !== 65) return undefined
  const v = signature[64]!
  if (v !== 27 && v !== 28) return undefined
  let parsed: ReturnType<typeof secp256k1.Signature.fromCompact>
  try {
    parsed = secp256k1.Signature.fromCompact(signature.subarray(0, 64))
  } catch {
    return undefined
  }
  if (parsed.s > secp256k1HalfOrder) return undefined
  const known = expected === undefined ? undefined : expectedKeys.get(expected)
  if (known && signedBy(known, digest, parsed.r, parsed.s, v - 27)) return expected
  try {
    const publicKey = parsed.addRecoveryBit(v - 27).recoverPublicKey(digest)
    const address = evmAddressOf(publicKey.toRawBytes(false))
    if (expected !== undefined && address === expected && !known) {
      if (expectedKeys.size >= expectedKeysMax)
        expectedKeys.delete(expectedKeys.keys().next().value as string)
      publicKey.precompute(precomputeWindow, false)
      expectedKeys.set(expected, publicKey)
    }
    return address
  } catch {
    return undefined
  }
}

/**
 * Whether `ecrecover(digest, 27 + recovery, r, s)` is `publicKey`: R = u1*G + u2*P must have x == r (as
 * ecrecover takes x = r for v 27/28) and the y parity `recovery` names.
 */
function signedBy(publicKey: Point, digest: Uint8Array, r: bigint, s: bigint, recovery: number): boolean {
  const n = secp256k1.CURVE.n
  const z = mod(BigInt(bytesToHex(digest)), n)
  const w = invert(s, n)
  const R = secp256k1.ProjectivePoint.BASE.multiplyAndAddUnsafe(publicKey, mod(z * w, n), mod(r * w, n))
  if (!R) return false
  const { x, y } = R.toAffine()
  return x === r && Number(y & 1n) === recovery
}

/** The lowercase address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function evmAddressOf(publicKey: Uint8Array): Hex {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false)
  return bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12))
}
