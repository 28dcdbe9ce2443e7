import { orderGatekeeperSignatures } from '../../contracts/admissionTypedData.js'
import type { AdmissionEntry } from './admissionBook.js'
import type { GatekeeperLoop } from './startGatekeeper.js'
import { submitterRank } from './submitterOrder.js'

export type SubmitHeldAdmissionParameters = {
  entry: AdmissionEntry
  /** When k signatures were first held (ms). */
  since: number
  gatekeeper: GatekeeperLoop
}

/**
 * Submits `admitWorkerByQuorum` for a statement holding k signatures, when it is this gatekeeper's turn: the one
 * ranked first (`submitterOrder`) at once, rank r after r failover delays, unless the worker's nonce moved on
 * meanwhile (someone submitted it, or another change made it stale). Returns true once nothing is left to do.
 */
export async function submitHeldAdmission({
  entry,
  since,
  gatekeeper,
}: SubmitHeldAdmissionParameters): Promise<boolean> {
  const { parameters, registry, wallet, book } = gatekeeper
  const logger = parameters.logger
  const rank = submitterRank(entry.digest, gatekeeper.set, wallet.address)
  if (rank < 0 || Date.now() < since + rank * parameters.failoverMs) return false
  const { admission } = entry
  if ((await registry.workerNonce(admission.worker)) !== admission.nonce) return true
  const held = [...entry.signatures.entries()]
    .filter(([signer]) => gatekeeper.isGatekeeper(signer))
    .map(([, s]) => s)
  if (held.length < gatekeeper.threshold) return false
  const signatures = orderGatekeeperSignatures(book.domain, 'Admission', admission, held)
  try {
    const response = await registry.admitWorkerByQuorum(admission, signatures)
    const receipt = await response.wait()
    logger.info(
      {
        worker: admission.worker,
        rank,
        signatures: signatures.length,
        tx: receipt?.hash,
        gasUsed: receipt?.gasUsed.toString(),
      },
      'admission submitted',
    )
    return true
  } catch (error) {
    // Another gatekeeper may have won the race: the next round sees the nonce moved.
    logger.warn(
      { worker: admission.worker, rank, err: String(error).slice(0, 300) },
      'admission submission failed',
    )
    return false
  }
}
