import { keccak_256 } from '@noble/hashes/sha3'
import { bytesToHex, type Hex, utf8 } from '../bytes.js'

/** A function's identity: keccak256 of its bundle's exact bytes, as 0x-hex (what the registry stores). */
export function computeCodeHash(bundle: string | Uint8Array): Hex {
  return bytesToHex(keccak_256(typeof bundle === 'string' ? utf8(bundle) : bundle))
}
