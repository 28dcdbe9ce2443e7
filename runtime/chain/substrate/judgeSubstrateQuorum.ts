import type { Hex } from '../../bytes.js'
import { EnvelopeError } from '../../enclave/EnvelopeError.js'
import type { Envelope } from '../../enclave/envelope.js'
import { verifyParsedEnvelope } from '../../enclave/verifyEnvelope.js'

/** Why a quorum result is refused. Stable: `teefn verify --substrate` reports it. */
export type SubstrateQuorumFailureReason =
  /** Fewer than k distinct signers agree on one answer, or two answers tie at the top. */
  | 'QUORUM_NOT_REACHED'
  /** One signer's key signs two envelopes of the set. */
  | 'DUPLICATE_SIGNER'
  /** A signer outside the allowed worker set. */
  | 'SIGNER_NOT_ALLOWED'
  /** The envelopes answer different requests. */
  | 'MIXED_REQUESTS'
  /** An envelope does not verify (its `EnvelopeError` reason is in `details`). */
  | 'ENVELOPE_INVALID'

export type JudgeSubstrateQuorumParameters = {
  envelopes: readonly Envelope[]
  /** k: how many distinct signers must agree. */
  threshold: number
  /** The genesis hash every envelope must be for. */
  chainId: string
  /** sr25519 public keys (0x-hex) whose envelopes may be in the set; undefined: any key. */
  workers?: readonly string[] | undefined
}

export type SubstrateQuorumVerdict =
  | {
      reached: true
      /** The agreed answer: the first agreeing envelope. */
      answer: Envelope
      /** The agreeing signers and the others, in set order (lowercase sr25519 keys). */
      signers: Hex[]
      dissenters: Hex[]
    }
  | {
      reached: false
      reason: SubstrateQuorumFailureReason
      message: string
      details: string
      /** Set when the envelopes were all valid but too few agree. */
      signers?: Hex[] | undefined
      dissenters?: Hex[] | undefined
    }

/**
 * The agreement rule of a Substrate quorum result: two envelopes agree when they sign the same chain,
 * destination, function, payload hash, code hash, status and result hash (the requestId is common to the set).
 */
export function substrateAnswerKey(envelope: Envelope): string {
  return [
    envelope.chainId,
    envelope.destination,
    envelope.functionId,
    envelope.payloadHash,
    envelope.codeHash,
    envelope.status,
    envelope.resultHash,
  ]
    .join(':')
    .toLowerCase()
}

/**
 * Judges a quorum result strictly, as a requester does before it acts on one (`teefn verify --substrate
 * --quorum k`): every envelope is for one request and this chain and verifies; no signer appears twice; every
 * signer is allowed; then the largest group of agreeing envelopes has at least k members and no other group is
 * as large. An honest submitter includes only envelopes that pass these checks, so any failure means the set was
 * tampered with or the worker sets differ.
 */
export function judgeSubstrateQuorum({
  envelopes,
  threshold,
  chainId,
  workers,
}: JudgeSubstrateQuorumParameters): SubstrateQuorumVerdict {
  const refused = (reason: SubstrateQuorumFailureReason, message: string, details: string) => ({
    reached: false as const,
    reason,
    message,
    details,
  })
  if (envelopes.length === 0) return refused('QUORUM_NOT_REACHED', 'The result holds no envelope.', 'none')
  const requestId = envelopes[0]!.requestId.toLowerCase()
  const other = envelopes.find((envelope) => envelope.requestId.toLowerCase() !== requestId)
  if (other) {
    return refused(
      'MIXED_REQUESTS',
      'The envelopes answer different requests.',
      `${requestId} and ${other.requestId}`,
    )
  }
  const allowed = workers && new Set(workers.map((worker) => worker.toLowerCase()))
  const seen = new Set<string>()
  const signers: Hex[] = []
  for (const [index, envelope] of envelopes.entries()) {
    let signer: Hex
    try {
      signer = verifyParsedEnvelope(envelope, { chainId }).signer.toLowerCase() as Hex
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error
      return refused(
        'ENVELOPE_INVALID',
        `Envelope ${index} does not verify: ${error.shortMessage}`,
        `${error.reason}${error.details ? `: ${error.details}` : ''}`,
      )
    }
    if (seen.has(signer)) {
      return refused('DUPLICATE_SIGNER', 'One worker signed two envelopes of the set.', signer)
    }
    if (allowed && !allowed.has(signer)) {
      return refused(
        'SIGNER_NOT_ALLOWED',
        'An envelope is signed by a key outside the allowed worker set.',
        signer,
      )
    }
    seen.add(signer)
    signers.push(signer)
  }
  const tally = tallySubstrateAnswers(envelopes, threshold)
  const agreeing = signers.filter((_, index) => tally.agreeing.includes(index))
  const dissenting = signers.filter((_, index) => !tally.agreeing.includes(index))
  if (!tally.reached) {
    return {
      ...refused(
        'QUORUM_NOT_REACHED',
        `Fewer than ${threshold} distinct workers agree on one answer.`,
        tally.tie
          ? `two answers have ${tally.agreeing.length} signers each`
          : `the largest agreeing group has ${tally.agreeing.length} of ${envelopes.length}`,
      ),
      signers: agreeing,
      dissenters: dissenting,
    }
  }
  return {
    reached: true,
    answer: envelopes[tally.agreeing[0]!]!,
    signers: agreeing,
    dissenters: dissenting,
  }
}

/**
 * Groups envelopes (verified, distinct signers) by `substrateAnswerKey`: `agreeing` are the indexes of the largest
 * group, `reached` when it has at least k members and no other group is as large (`tie`).
 */
export function tallySubstrateAnswers(
  envelopes: readonly Envelope[],
  threshold: number,
): { reached: boolean; tie: boolean; agreeing: number[] } {
  const groups = new Map<string, number[]>()
  for (const [index, envelope] of envelopes.entries()) {
    const key = substrateAnswerKey(envelope)
    groups.set(key, [...(groups.get(key) ?? []), index])
  }
  let agreeing: number[] = []
  let tie = false
  for (const group of groups.values()) {
    if (group.length > agreeing.length) [agreeing, tie] = [group, false]
    else if (group.length === agreeing.length) tie = true
  }
  return { reached: agreeing.length >= threshold && !tie, tie, agreeing }
}
