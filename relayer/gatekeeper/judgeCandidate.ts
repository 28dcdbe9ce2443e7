import { sha256 } from '@noble/hashes/sha2.js'
import { bytesEqual, concatBytes, type Hex, hexToBytes, isHex, utf8 } from '../../runtime/bytes.js'
import { AttestationError } from '../../runtime/enclave/AttestationError.js'
import { attestationHash } from '../../runtime/enclave/attestationHash.js'
import { encodeWorkerPublicKeys, workerKeysDomainTag } from '../../runtime/enclave/reportData.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import {
  type TcbStatus,
  type VerifyAttestationReturnType,
  verifyAttestation,
} from '../../runtime/enclave/verifyAttestation.js'
import { measurementIdOf } from './measurementIdOf.js'

/** What a gatekeeper accepts: its own policy, never the candidate's. */
export type GatekeeperPolicy = {
  /** TCB statuses accepted (`gatekeeper.tcbStatus`). */
  tcbStatuses: readonly TcbStatus[]
  /** Accept dev attestations (tests only; refused in production mode). */
  allowDev: boolean
  /** DCAP collateral (JSON text) real quotes are verified against, offline. */
  collateral: string | undefined
  /** Whether the registry pins this measurement id (`isMeasurementPinned`). */
  isPinned(measurement: Hex): Promise<boolean>
  /** Verification time; now by default. */
  now?: Date | undefined
}

export type CandidateVerdict =
  | { admit: true; measurement: Hex; kind: VerifyAttestationReturnType['kind']; status: string }
  | { admit: false; code: string; reason: string }

export type VerifyCandidateQuoteReturnType = Extract<CandidateVerdict, { admit: true }> & {
  binding: VerifyAttestationReturnType['binding']
}

/**
 * The quote half of a gatekeeper's decision: DCAP verification against the collateral, the TCB allowlist, dev
 * attestations only with `allowDev`, and the measurement id (`measurementIdOf`) pinned in the registry. Throws
 * `AttestationError`; report_data is read, not yet compared (`judgeCandidate` binds it to the candidate).
 */
export async function verifyCandidateQuote(
  quote: Uint8Array | Hex,
  policy: GatekeeperPolicy,
): Promise<VerifyCandidateQuoteReturnType> {
  const verified = verifyAttestation(quote, policy.collateral ?? null, {
    ...(policy.now ? { now: policy.now } : {}),
    expectedReportData: null,
    allowedStatuses: policy.tcbStatuses,
    allowDev: policy.allowDev,
  })
  const measurement = measurementIdOf(verified)
  if (!(await policy.isPinned(measurement))) {
    throw new AttestationError('The measurement is not pinned in the registry.', {
      code: 'MEASUREMENT_MISMATCH',
      details: `measurement ${measurement} (${verified.kind})`,
      hint: 'Gatekeepers pin it by quorum (teefn chain pin-measurement) before admitting this build.',
    })
  }
  return { admit: true, measurement, kind: verified.kind, status: verified.status, binding: verified.binding }
}

export type JudgeCandidateParameters = {
  /** What the candidate serves at `/v1/attestation` (untrusted). */
  served: unknown
  /** `AdmissionRequested`'s worker (the sender) and quoteHash. */
  worker: string
  /** Omitted when an admitted worker is judged again: whatever quote it serves now is judged on its own. */
  quoteHash?: string | undefined
  policy: GatekeeperPolicy
}

/**
 * Whether a gatekeeper signs an admission for `worker`: the served quote hashes to the requested quoteHash,
 * verifies (`verifyCandidateQuote`), and the keys half of its report_data binds the served keys, whose EVM
 * address is the worker that asked. Any failure is a refusal naming its reason; nothing throws.
 */
export async function judgeCandidate({
  served,
  worker,
  quoteHash,
  policy,
}: JudgeCandidateParameters): Promise<CandidateVerdict> {
  const document = readServed(served)
  if (typeof document === 'string') return refuse('ATTESTATION_MALFORMED', document)
  const { publicKeys, quote } = document
  const hash = attestationHash(quote)
  if (quoteHash !== undefined && hash !== quoteHash.toLowerCase()) {
    return refuse('QUOTE_HASH_MISMATCH', `the served quote hashes to ${hash}, the request names ${quoteHash}`)
  }
  if (publicKeys.evmAddress.toLowerCase() !== worker.toLowerCase()) {
    return refuse(
      'WORKER_MISMATCH',
      `the quote's keys are ${publicKeys.evmAddress}'s, the request came from ${worker}`,
    )
  }
  let keysHash: Uint8Array
  try {
    keysHash = sha256(concatBytes(utf8(workerKeysDomainTag), encodeWorkerPublicKeys(publicKeys)))
  } catch (error) {
    return refuse('ATTESTATION_MALFORMED', (error as { details?: string }).details ?? 'malformed keys')
  }
  let verified: VerifyCandidateQuoteReturnType
  try {
    verified = await verifyCandidateQuote(quote, policy)
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error
    return refuse(error.code, `${error.shortMessage}${error.details ? ` (${error.details})` : ''}`)
  }
  if (!bytesEqual(keysHash, hexToBytes(verified.binding.keysHash)!)) {
    return refuse('REPORT_DATA_MISMATCH', "the quote's report_data binds other keys than the served ones")
  }
  return { admit: true, measurement: verified.measurement, kind: verified.kind, status: verified.status }
}

function readServed(served: unknown): { publicKeys: WorkerPublicKeys; quote: Hex } | string {
  if (typeof served !== 'object' || served === null) return 'the attestation is not a JSON object'
  const { publicKeys, quote } = served as Record<string, unknown>
  if (!isHex(quote) || quote.length <= 2) return 'quote must be 0x-hex bytes'
  if (typeof publicKeys !== 'object' || publicKeys === null) return 'publicKeys is missing'
  const keys = publicKeys as Record<string, unknown>
  for (const name of ['evmAddress', 'secp256k1', 'sr25519', 'encryption'] as const) {
    if (!isHex(keys[name])) return `publicKeys.${name} must be 0x-hex`
  }
  return { publicKeys: keys as WorkerPublicKeys, quote }
}

function refuse(code: string, reason: string): CandidateVerdict {
  return { admit: false, code, reason }
}
