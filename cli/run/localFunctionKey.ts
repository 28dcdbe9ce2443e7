import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from '../../runtime/bytes.js'

/**
 * The function key of `teefn run` and `runFunction`: they are no enclave, so `deriveSecret` (and what compat modes
 * build on it, Phat's `pink.deriveSecret` and `vrf`) answers from this fixed, public key. Functions that use it
 * run and are deterministic locally; the values are no secret and never those a worker derives.
 */
export const localFunctionKey: Uint8Array = sha256(utf8('teefn/run/local-function-key/v1'))
