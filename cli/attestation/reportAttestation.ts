import { AttestationError } from '../../runtime/enclave/AttestationError.js'
import { printJson } from '../printJson.js'
import type { CheckWorkerAttestationReturnType } from './checkWorkerAttestation.js'
import { WorkerAttestationError } from './WorkerAttestationError.js'

/** Whether `error` is a refused attestation (a failed check, or a malformed served document). */
export function isAttestationRefusal(error: unknown): error is AttestationError | WorkerAttestationError {
  return error instanceof AttestationError || error instanceof WorkerAttestationError
}

/**
 * Prints why the worker's attestation was refused: `attestation refused: <REASON>: <message> (<details>)` and
 * the hint, or with `--json` one object `{ trusted: false, stage: 'attestation', reason, message, details, hint }`.
 */
export function printAttestationRefusal(
  error: AttestationError | WorkerAttestationError,
  json: boolean | undefined,
): void {
  const hint =
    error.reason === 'DEV_NOT_ALLOWED'
      ? 'The server runs the dev provider; pass --allow-dev to accept it (development only).'
      : error.hint
  if (json) {
    printJson({
      trusted: false,
      stage: 'attestation',
      reason: error.reason,
      message: error.shortMessage,
      details: error.details ?? null,
      hint: hint ?? null,
    })
    return
  }
  const details = error.details ? ` (${error.details})` : ''
  process.stdout.write(`attestation refused: ${error.reason}: ${error.shortMessage}${details}\n`)
  if (hint) process.stdout.write(`  ${hint}\n`)
}

/** How a verified attestation is shown: a short phrase for text output, an object for `--json`. */
export function describeAttestation(checked: CheckWorkerAttestationReturnType) {
  const phrase =
    checked.kind === 'dev'
      ? 'dev attestation: not a TEE'
      : `attested: ${checked.kind.toUpperCase()}, TCB ${checked.status}${checked.measurementPinned ? ', measurement pinned' : ''}`
  return {
    phrase,
    json: {
      kind: checked.kind,
      status: checked.status,
      advisoryIds: checked.advisoryIds,
      measurement: checked.measurement,
      measurementPinned: checked.measurementPinned,
      publicKeys: checked.publicKeys,
    },
  }
}
