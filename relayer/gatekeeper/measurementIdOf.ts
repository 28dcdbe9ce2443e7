import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, type Hex, hexToBytes } from '../../runtime/bytes.js'
import type { VerifyAttestationReturnType } from '../../runtime/enclave/verifyAttestation.js'

/** The hardware registers a registry measurement covers, in this order. */
const registers = {
  tdx: ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'],
  sgx: ['mrenclave', 'mrsigner'],
} as const

/**
 * The bytes32 a registry pins for a verified quote (`isMeasurementPinned`): for TDX keccak256(mrtd ‖ rtmr0 ‖
 * rtmr1 ‖ rtmr2 ‖ rtmr3), for SGX keccak256(mrenclave ‖ mrsigner): the code the hardware measured. A dev
 * attestation has no registers: its id is the measurement half of report_data, sha256(the node's
 * `tee.measurement`).
 */
export function measurementIdOf(
  verified: Pick<VerifyAttestationReturnType, 'kind' | 'measurements' | 'binding'>,
): Hex {
  if (verified.kind === 'dev') return verified.binding.measurementHash
  const parts = registers[verified.kind].map((name) => {
    const value = verified.measurements[name]
    const bytes = value === undefined ? undefined : hexToBytes(value)
    if (bytes === undefined) throw new TypeError(`measurementIdOf: the quote has no ${name}`)
    return bytes
  })
  const joined = concatBytes(...parts)
  return bytesToHex(keccak_256(joined))
}
