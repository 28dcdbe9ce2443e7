import type { MeasurementPins, TcbStatus } from '../../runtime/enclave/verifyAttestation.js'

/**
 * What a user accepts as a teefn worker: checked against what `/v1/attestation` serves before the CLI trusts
 * an envelope's signer or encrypts secrets to a key. From flags, a `--trust <file>`, or both (flags win).
 */
export type TrustPolicy = {
  /** Accept a `dev` attestation (no TEE: the operator holds the keys). Off unless asked for. */
  allowDev: boolean
  /** The DCAP collateral (JSON text, from a PCCS) the quote is verified against, offline. */
  collateral: string | undefined
  /** TCB statuses accepted; `['UpToDate']` by default. */
  tcbStatuses: readonly TcbStatus[]
  /**
   * The node's `tee.measurement` as UTF-8 bytes: report_data must bind it. Undefined: the measurement the
   * server names is used (the keys are still bound; the measurement is then reported as not pinned).
   */
  measurement: Uint8Array | undefined
  /** MRTD and RTMR0-3 the quote must carry. */
  pins: MeasurementPins
  /** When to verify (collateral must be valid then); now by default. */
  at: Date | undefined
}

/** TCB statuses a user may accept (`Revoked` and `Unknown` never are). */
export const acceptableTcbStatuses: readonly TcbStatus[] = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
]

/** The measurement registers a policy may pin (TDX). */
export const pinnableMeasurements = ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const

/** The fields a `--trust` file may hold: the flags' names in camelCase. */
export const trustFileFields: readonly string[] = [
  'allowDev',
  'collateral',
  'tcbStatus',
  'measurement',
  ...pinnableMeasurements,
]
