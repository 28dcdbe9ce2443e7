import { keccak_256 } from '@noble/hashes/sha3'
import { bytesToHex } from '@noble/hashes/utils'

/** A function's identity: keccak256 of its bundle's exact bytes, as 0x-hex (what the registry stores). */
export function computeCodeHash(bundle: string | Uint8Array): `0x${string}` {
  const bytes = typeof bundle === 'string' ? new TextEncoder().encode(bundle) : bundle
  return `0x${bytesToHex(keccak_256(bytes))}`
}
