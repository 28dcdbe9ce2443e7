import type { ContractTransactionResponse } from 'ethers'
import { type GatekeeperStatement, orderGatekeeperSignatures } from '../../contracts/admissionTypedData.js'
import { submitterRank } from '../shared/submitterRank.js'
import type { GatekeeperLoop } from './startGatekeeper.js'
import type { StatementEntry } from './statementBook.js'

export type SubmitHeldStatementParameters = {
  entry: StatementEntry
  /** When k signatures were first held (ms). */
  since: number
  gatekeeper: GatekeeperLoop
}

/**
 * Submits `admitWorkerByQuorum` or `removeWorkerByQuorum` for a statement holding k signatures, when it is this
 * gatekeeper's turn: the one ranked first (`submitterRank` over the gatekeeper set) at once, rank r after r failover delays, unless the
 * worker's nonce moved on meanwhile (someone submitted it, or another change made it stale). Returns true once
 * nothing is left to do.
 */
export async function submitHeldStatement({
  entry,
  since,
  gatekeeper,
}: SubmitHeldStatementParameters): Promise<boolean> {
  const { parameters, registry, wallet, book } = gatekeeper
  const logger = parameters.logger
  if (!gatekeeper.isGatekeeper(wallet.address)) return false
  const rank = submitterRank(entry.digest, wallet.address, gatekeeper.set)
  if (Date.now() < since + rank * parameters.failoverMs) return false
  const { kind, statement } = entry
  if ((await registry.workerNonce(statement.worker)) !== statement.nonce) return true
  const held = [...entry.signatures.entries()]
    .filter(([signer]) => gatekeeper.isGatekeeper(signer))
    .map(([, s]) => s)
  if (held.length < gatekeeper.threshold) return false
  const signatures = orderGatekeeperSignatures(book.domain, kind, statement, held)
  const what = kind === 'Admission' ? 'admission' : 'removal'
  try {
    const response: ContractTransactionResponse =
      kind === 'Admission'
        ? await registry.admitWorkerByQuorum(statement as GatekeeperStatement['Admission'], signatures)
        : await registry.removeWorkerByQuorum(statement as GatekeeperStatement['Removal'], signatures)
    const receipt = await response.wait()
    logger.info(
      {
        worker: statement.worker,
        rank,
        signatures: signatures.length,
        tx: receipt?.hash,
        gasUsed: receipt?.gasUsed.toString(),
      },
      `${what} submitted`,
    )
    return true
  } catch (error) {
    // Another gatekeeper may have won the race: the next round sees the nonce moved.
    logger.warn(
      { worker: statement.worker, rank, err: String(error).slice(0, 300) },
      `${what} submission failed`,
    )
    return false
  }
}
