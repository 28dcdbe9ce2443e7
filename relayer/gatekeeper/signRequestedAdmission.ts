import type { EventFragment, Log } from 'ethers'
import { Interface } from 'ethers'
import {
  type Admission,
  hashGatekeeperStatement,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import { fetchServedAttestation } from './fetchServedAttestation.js'
import { judgeCandidate } from './judgeCandidate.js'
import type { GatekeeperLoop } from './startGatekeeper.js'
import type { StatementEntry } from './statementBook.js'

export type SignRequestedAdmissionParameters = {
  log: Log
  event: EventFragment
  gatekeeper: GatekeeperLoop
}

/**
 * One `AdmissionRequested`: fetches the quote from its URL, judges it (`judgeCandidate`) and, when it passes,
 * signs the `Admission` every honest gatekeeper derives from the same request: `expiresAt` and `deadline` count
 * from the request block's time, `nonce` is `workerNonce` at that block. A refusal is logged with its reason and
 * nothing is signed. Returns the book's entry holding this gatekeeper's signature.
 */
export async function signRequestedAdmission({
  log,
  event,
  gatekeeper,
}: SignRequestedAdmissionParameters): Promise<StatementEntry<'Admission'> | undefined> {
  const { parameters, registry, provider, wallet, book } = gatekeeper
  const logger = parameters.logger
  const decoded = new Interface([event]).decodeEventLog(event, log.data, log.topics)
  const worker = decoded.worker as string
  const quoteHash = decoded.quoteHash as string
  const quoteUrl = decoded.quoteUrl as string
  let served: unknown
  try {
    served = await fetchServedAttestation(quoteUrl, 5_000)
  } catch (error) {
    logger.warn({ worker, quoteUrl, code: 'QUOTE_UNREACHABLE', reason: String(error) }, 'admission refused')
    return undefined
  }
  const verdict = await judgeCandidate({
    served,
    worker,
    quoteHash,
    policy: { ...parameters.policy, isPinned: (measurement) => registry.isMeasurementPinned(measurement) },
  })
  if (!verdict.admit) {
    logger.warn({ worker, quoteHash, code: verdict.code, reason: verdict.reason }, 'admission refused')
    return undefined
  }
  const block = await provider.getBlock(log.blockNumber)
  if (!block) return undefined
  const nonce = await registry.workerNonce(worker, { blockTag: log.blockNumber })
  const admission: Admission = {
    worker,
    quoteHash: quoteHash.toLowerCase(),
    measurement: verdict.measurement,
    expiresAt: BigInt(block.timestamp + parameters.admissionSeconds),
    nonce,
    deadline: BigInt(block.timestamp + parameters.deadlineSeconds),
  }
  const signature = await signGatekeeperStatement(wallet, book.domain, 'Admission', admission)
  book.add('Admission', admission, [signature], (address) => gatekeeper.isGatekeeper(address))
  const entry = book.get(hashGatekeeperStatement(book.domain, 'Admission', admission)) as
    | StatementEntry<'Admission'>
    | undefined
  logger.info(
    {
      worker,
      quoteHash,
      measurement: verdict.measurement,
      tee: verdict.kind,
      status: verdict.status,
      expiresAt: Number(admission.expiresAt),
    },
    'admission signed',
  )
  return entry
}
