import { ZeroHash } from 'ethers'
import { type GatekeeperPolicy, judgeCandidate } from './judgeCandidate.js'

export type JudgeAdmittedWorkerParameters = {
  worker: string
  /** `workerMeasurement(worker)`: what its admission named (zero for an admin admission). */
  admittedMeasurement: string
  /** Fetches what the worker serves at the quoteUrl of its last admission request (untrusted; may throw). */
  fetchServed(): Promise<unknown>
  policy: GatekeeperPolicy
}

/**
 * Keep, or a reason to remove. `definite` failures remove at once: they do not depend on the network (the
 * measurement is no longer pinned, the quote verifies to another measurement); the others (unreachable, malformed,
 * TCB status, dev attestation...) only after several rechecks in a row (`FailureStreaks`).
 */
export type AdmittedWorkerVerdict =
  | { keep: true; measurement: string }
  | { keep: false; definite: boolean; code: string; reason: string }

/**
 * A gatekeeper's recheck of an admitted worker, with the policy an admission gets: the measurement its admission
 * named must still be pinned (checked first, without fetching), and the quote it serves now must pass
 * `judgeCandidate` (DCAP, TCB allowlist, dev rules, report_data binding its key, pinned) and bind that same
 * measurement. A changed quote that passes is kept: a restarted worker serves a new one. Never throws.
 */
export async function judgeAdmittedWorker({
  worker,
  admittedMeasurement,
  fetchServed,
  policy,
}: JudgeAdmittedWorkerParameters): Promise<AdmittedWorkerVerdict> {
  const admitted = admittedMeasurement.toLowerCase()
  if (admitted !== ZeroHash && !(await policy.isPinned(admitted as `0x${string}`))) {
    return remove(
      true,
      'MEASUREMENT_UNPINNED',
      `the measurement ${admitted} it was admitted with is unpinned`,
    )
  }
  let served: unknown
  try {
    served = await fetchServed()
  } catch (error) {
    return remove(false, 'QUOTE_UNREACHABLE', String(error).slice(0, 200))
  }
  const verdict = await judgeCandidate({ served, worker, policy })
  if (!verdict.admit) return remove(verdict.code === 'MEASUREMENT_MISMATCH', verdict.code, verdict.reason)
  if (admitted !== ZeroHash && verdict.measurement.toLowerCase() !== admitted) {
    return remove(
      true,
      'MEASUREMENT_CHANGED',
      `the served quote binds ${verdict.measurement}, the admission named ${admitted}`,
    )
  }
  return { keep: true, measurement: verdict.measurement }
}

function remove(definite: boolean, code: string, reason: string): AdmittedWorkerVerdict {
  return { keep: false, definite, code, reason }
}
