import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, type Hex, hexToBytes, utf8 } from '../bytes.js'
import { BaseError } from '../errors/BaseError.js'
import { evmAddressOf } from './evmEnvelope.js'
import type { WorkerPublicKeys } from './TeeProvider.js'
import { TeeProviderError } from './TeeProviderError.js'

/** Separates the hash of a teefn worker's keys from any other use of sha256 over the same bytes. */
export const workerKeysDomainTag = 'teefn/worker-keys/v1'

/**
 * The canonical encoding of a worker's public keys, fixed-length so it is unambiguous:
 * secp256k1 compressed (33) || sr25519 (32) || X25519 encryption key (32). The EVM address is implied by the
 * secp256k1 key and checked against it.
 */
export function encodeWorkerPublicKeys(publicKeys: WorkerPublicKeys): Uint8Array {
  const secp = hexToBytes(publicKeys.secp256k1)
  const sr = hexToBytes(publicKeys.sr25519)
  const encryption = hexToBytes(publicKeys.encryption)
  if (secp?.length !== 33 || sr?.length !== 32 || encryption?.length !== 32) {
    throw invalidInput('secp256k1 must be 33 bytes (compressed), sr25519 and encryption 32 bytes, all 0x-hex')
  }
  let address: string
  try {
    address = evmAddressOf(secp)
  } catch {
    throw invalidInput('secp256k1 is not a point on the curve')
  }
  if (address !== publicKeys.evmAddress.toLowerCase()) {
    throw invalidInput(
      `evmAddress ${publicKeys.evmAddress} is not the address of the secp256k1 key (${address})`,
    )
  }
  return concatBytes(secp, sr, encryption)
}

export type ComputeReportDataParameters = {
  publicKeys: WorkerPublicKeys
  /** The runtime/code measurement the worker vouches for (e.g. the worker image digest); any bytes. */
  measurement: Uint8Array | Hex
}

/**
 * The 64 bytes a worker's quote binds:
 * sha256(utf8(workerKeysDomainTag) || encodeWorkerPublicKeys(keys)) || sha256(measurement).
 */
export function computeReportData({ publicKeys, measurement }: ComputeReportDataParameters): Uint8Array {
  const measurementBytes = typeof measurement === 'string' ? hexToBytes(measurement) : measurement
  if (!measurementBytes) throw invalidInput('measurement must be bytes or 0x-prefixed hex')
  return concatBytes(
    sha256(concatBytes(utf8(workerKeysDomainTag), encodeWorkerPublicKeys(publicKeys))),
    sha256(measurementBytes),
  )
}

function invalidInput(details: string): BaseError {
  return new BaseError('Worker public keys or measurement are malformed.', {
    code: 'INVALID_WORKER_KEYS',
    details,
    hint: "Pass the `publicKeys` object exactly as the worker's provider reports it.",
  })
}

/** Throws unless `reportData` is exactly 64 bytes (what a TDX/SGX report holds). */
export function assertReportData(reportData: Uint8Array): void {
  if (!(reportData instanceof Uint8Array) || reportData.length !== 64) {
    throw new TeeProviderError('Report data must be exactly 64 bytes.', {
      code: 'TEE_INVALID_INPUT',
      details: `got ${reportData instanceof Uint8Array ? `${reportData.length} bytes` : typeof reportData}`,
      hint: 'Use computeReportData({ publicKeys, measurement }).',
    })
  }
}
