import { encodeFunctionData, type Hex } from 'viem'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { statusCode } from '../../runtime/resultStatus.js'
import { consumerAbi } from './consumerAbi.js'

export type EncodeQuorumCalldataReturnType = {
  /** `fulfillQuorum(QuorumEnvelope)` calldata. */
  data: Hex
  /** The signers, in the envelope's (ascending) order. */
  signers: Hex[]
  /** The answers in that order, as `tallyQuorum` takes them. */
  answers: { status: number; result: string }[]
}

/**
 * The calldata of one `fulfillQuorum` from verified single envelopes of one request (docs/protocol.md,
 * section 3): common fields from the first, answers ordered by strictly increasing signer (`worker`, which
 * the caller has checked against the signature). Encoded with viem, like the single fulfilments.
 */
export function encodeQuorumCalldata(envelopes: readonly Envelope[]): EncodeQuorumCalldataReturnType {
  const ordered = [...envelopes].sort((a, b) => {
    const x = BigInt(a.worker)
    const y = BigInt(b.worker)
    return x < y ? -1 : x > y ? 1 : 0
  })
  const answers = ordered.map((item) => ({
    status: statusCode(item.status),
    result: item.result,
    signature: item.signature,
  }))
  const [first] = ordered
  if (!first) throw new RangeError('a quorum envelope needs at least one answer')
  const quorumEnvelope = {
    requestId: first.requestId,
    functionId: first.functionId,
    payloadHash: first.payloadHash,
    codeHash: first.codeHash,
    answers,
  }
  return {
    data: encodeFunctionData({ abi: consumerAbi(), functionName: 'fulfillQuorum', args: [quorumEnvelope] }),
    signers: ordered.map((item) => item.worker),
    answers: answers.map(({ status, result }) => ({ status, result })),
  }
}
