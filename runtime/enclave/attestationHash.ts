import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import { BaseError } from '../errors/BaseError.js'

/**
 * The hash a registry admission records for a worker (`TeefnRegistry.admitWorker(worker, attestationHash, ...)`):
 * keccak256 of the quote's bytes, exactly as the worker serves it (`GET /v1/attestation`'s `quote`). Anyone
 * holding the quote can check an admission against it.
 */
export function attestationHash(quote: Hex | Uint8Array): Hex {
  const bytes = typeof quote === 'string' ? hexToBytes(quote) : quote
  if (bytes === undefined || bytes.length === 0) {
    throw new BaseError('The quote is not hex bytes.', {
      code: 'ATTESTATION_QUOTE_INVALID',
      details: 'an attestation hash is taken over a non-empty 0x-hex quote',
    })
  }
  return bytesToHex(keccak_256(bytes))
}
