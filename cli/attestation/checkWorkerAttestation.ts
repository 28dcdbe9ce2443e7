import { bytesToHex, type Hex, hexToBytes, isHex } from '../../runtime/bytes.js'
import { encodeWorkerPublicKeys } from '../../runtime/enclave/reportData.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import {
  type VerifyAttestationReturnType,
  verifyAttestation,
} from '../../runtime/enclave/verifyAttestation.js'
import type { TrustPolicy } from './TrustPolicy.js'
import { WorkerAttestationError } from './WorkerAttestationError.js'

export type CheckWorkerAttestationParameters = {
  /** What `GET /v1/attestation` serves (parsed JSON), from the server or a file. Untrusted. */
  served: unknown
  policy: TrustPolicy
}

export type CheckWorkerAttestationReturnType = {
  /** The worker's keys, as the quote binds them: the only keys to trust. */
  publicKeys: WorkerPublicKeys
  kind: VerifyAttestationReturnType['kind']
  status: VerifyAttestationReturnType['status']
  advisoryIds: string[]
  /** The measurement report_data binds (0x-hex of its bytes). */
  measurement: Hex
  /** Whether the measurement came from the user (`--measurement`) rather than from the server. */
  measurementPinned: boolean
  /** The quote's measurement registers (none for dev). */
  measurements: Record<string, Hex>
  /** The verified quote, as served (what a registry admission hashes: `attestationHash`). */
  quote: Hex
}

/**
 * Verifies a worker's attestation as a server serves it, under the user's trust policy, and returns the keys it
 * binds. The quote is verified offline (`verifyAttestation`: DCAP against the collateral, TCB status allowlist,
 * measurement pins; dev attestations only with `allowDev`), and report_data must be the hash of exactly the
 * served keys and the measurement: a server cannot list keys of its choosing next to a genuine quote.
 * Throws `AttestationError` (a check failed) or `WorkerAttestationError` (the served document is malformed).
 */
export function checkWorkerAttestation({
  served,
  policy,
}: CheckWorkerAttestationParameters): CheckWorkerAttestationReturnType {
  const { publicKeys, quote, measurement: servedMeasurement } = readServedAttestation(served)
  const measurement = policy.measurement ?? servedMeasurement
  if (measurement === undefined) {
    throw new WorkerAttestationError('measurement is missing; pass --measurement <the node tee.measurement>')
  }
  const verified = verifyAttestation(quote, policy.collateral ?? null, {
    ...(policy.at ? { now: policy.at } : {}),
    expectedReportData: { publicKeys, measurement },
    allowedStatuses: policy.tcbStatuses,
    measurements: policy.pins,
    allowDev: policy.allowDev,
  })
  return {
    publicKeys,
    kind: verified.kind,
    status: verified.status,
    advisoryIds: verified.advisoryIds,
    measurement: bytesToHex(measurement),
    measurementPinned: policy.measurement !== undefined,
    measurements: verified.measurements,
    quote,
  }
}

function readServedAttestation(served: unknown): {
  publicKeys: WorkerPublicKeys
  quote: Hex
  measurement: Uint8Array | undefined
} {
  if (typeof served !== 'object' || served === null || Array.isArray(served)) {
    throw new WorkerAttestationError('it is not a JSON object')
  }
  const { publicKeys, quote, measurement } = served as Record<string, unknown>
  if (typeof publicKeys !== 'object' || publicKeys === null) {
    throw new WorkerAttestationError('publicKeys is missing')
  }
  const keys = publicKeys as Record<string, unknown>
  for (const name of ['evmAddress', 'secp256k1', 'sr25519', 'encryption']) {
    if (!isHex(keys[name])) throw new WorkerAttestationError(`publicKeys.${name} must be 0x-hex`)
  }
  // Only the four keys are kept: whatever else the document holds is not bound by the quote.
  const checked: WorkerPublicKeys = {
    evmAddress: keys.evmAddress as Hex,
    secp256k1: (keys.secp256k1 as Hex).toLowerCase() as Hex,
    sr25519: (keys.sr25519 as Hex).toLowerCase() as Hex,
    encryption: (keys.encryption as Hex).toLowerCase() as Hex,
  }
  try {
    encodeWorkerPublicKeys(checked)
  } catch (error) {
    throw new WorkerAttestationError(`publicKeys: ${(error as { details?: string }).details ?? 'malformed'}`)
  }
  if (!isHex(quote) || quote.length <= 2) throw new WorkerAttestationError('quote must be 0x-hex bytes')
  if (measurement !== undefined && !isHex(measurement)) {
    throw new WorkerAttestationError('measurement must be 0x-hex')
  }
  return {
    publicKeys: checked,
    quote,
    measurement: measurement === undefined ? undefined : hexToBytes(measurement as Hex),
  }
}
