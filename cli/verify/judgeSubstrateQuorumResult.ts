import type { OnChainResult } from '../../relayer/substrate/readSubstrateResults.js'
import type { Hex } from '../../runtime/bytes.js'
import { judgeSubstrateQuorum } from '../../runtime/chain/substrate/judgeSubstrateQuorum.js'
import {
  judgeSubstrateResult,
  type RefusedVerdict,
  type SubstrateExpectations,
  type SubstrateVerdict,
} from './judgeSubstrateResult.js'

/** How many workers must agree, and which may sign. */
export type QuorumExpectations = {
  /** k. */
  threshold: number
  /** Lowercase sr25519 public keys allowed to sign; undefined: any. */
  workers: readonly Hex[] | undefined
}

/** Who agreed and who did not, reported with every quorum verdict that got that far. */
export type QuorumReport = {
  threshold: number
  envelopes: number
  signers: Hex[]
  dissenters: Hex[]
}

export type SubstrateQuorumVerdict =
  | (Extract<SubstrateVerdict, { valid: true }> & { quorum: QuorumReport })
  | (RefusedVerdict & { quorum?: QuorumReport | undefined })

/**
 * A result judged as a quorum (a quorum result remark, or any result under `--quorum k`): every envelope verifies
 * for this chain, answers one request, no signer twice, every signer in the `--worker` set (when given), and at
 * least k distinct signers agree on one answer with no other answer as large; then the agreed answer is judged
 * against the request on-chain and the user's other expectations (`judgeSubstrateResult`). A plain result is a
 * set of one: under k = 2 it is `QUORUM_NOT_REACHED`.
 */
export function judgeSubstrateQuorumResult(
  result: OnChainResult,
  chainId: string,
  { threshold, workers }: QuorumExpectations,
  expected: Omit<SubstrateExpectations, 'worker'>,
): SubstrateQuorumVerdict {
  const envelopes = result.envelopes ?? [result.envelope]
  const verdict = judgeSubstrateQuorum({ envelopes, threshold, chainId, workers })
  if (!verdict.reached) {
    const { reason, message, details, signers, dissenters } = verdict
    return {
      valid: false,
      requestId: result.envelope.requestId,
      reason,
      message,
      details,
      ...(signers && dissenters
        ? { quorum: { threshold, envelopes: envelopes.length, signers, dissenters } }
        : {}),
    }
  }
  const quorum: QuorumReport = {
    threshold,
    envelopes: envelopes.length,
    signers: verdict.signers,
    dissenters: verdict.dissenters,
  }
  // The agreeing envelopes differ only in their signer: the answer stands for all of them.
  const answer = judgeSubstrateResult(result, chainId, expected, verdict.answer)
  return { ...answer, quorum }
}
