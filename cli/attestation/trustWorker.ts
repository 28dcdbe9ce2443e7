import { exitCodes } from '../exitCodes.js'
import type { CheckWorkerAttestationReturnType } from './checkWorkerAttestation.js'
import { loadWorkerAttestation } from './loadWorkerAttestation.js'
import { isAttestationRefusal, printAttestationRefusal } from './reportAttestation.js'
import type { TrustPolicy } from './TrustPolicy.js'

export type TrustWorkerParameters = {
  /** A server URL or a file with what its `/v1/attestation` serves. */
  source: string
  policy: TrustPolicy
  json: boolean | undefined
}

/**
 * The worker keys a command may trust: `source`'s attestation, checked under the policy. When it is refused,
 * the reason is printed, the exit status set to 1, and undefined returned: the command goes no further.
 */
export async function trustWorker({
  source,
  policy,
  json,
}: TrustWorkerParameters): Promise<CheckWorkerAttestationReturnType | undefined> {
  const served = await loadWorkerAttestation(source)
  // Loaded here, not at start-up: the DCAP verifier pulls in ASN.1 and X.509 code most runs do not need.
  const { checkWorkerAttestation } = await import('./checkWorkerAttestation.js')
  try {
    return checkWorkerAttestation({ served, policy })
  } catch (error) {
    if (!isAttestationRefusal(error)) throw error
    printAttestationRefusal(error, json)
    process.exitCode = exitCodes.failed
    return undefined
  }
}
