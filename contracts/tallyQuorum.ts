import type { Aggregation } from './quorumFulfillment.js'

export type TallyQuorumParameters = {
  aggregation: Aggregation
  /** The effective threshold k (`TeefnConsumer.effectiveThreshold(functionId)`). */
  threshold: number
  /** The answers in envelope order (ascending signer); results 0x-hex. */
  answers: { status: number; result: string }[]
}

export type TallyQuorumReturnType =
  | {
      reached: true
      /** Index of the answer whose status and result bytes are delivered. */
      delivered: number
      /** Indexes of the answers in the winning group (`QuorumReached`), and of the others (`QuorumDissent`). */
      agreeing: number[]
      dissenting: number[]
    }
  | {
      reached: false
      /** `too-few`: the largest group is under the threshold; `tie`: two groups share the largest size. */
      reason: 'too-few' | 'tie'
    }

const MEDIAN = 'median'

/**
 * What `TeefnConsumer.fulfillQuorum` decides for these answers, computed off chain (docs/protocol.md,
 * "Aggregation"), so a submitter knows before it sends whether the quorum holds and who dissents.
 * Signatures and signer order are not checked here.
 */
export function tallyQuorum(parameters: TallyQuorumParameters): TallyQuorumReturnType {
  const { aggregation, threshold, answers } = parameters
  const keys = answers.map((answer) => groupKey(aggregation, answer.status, answer.result))
  const sizes = new Map<string, number>()
  for (const key of keys) if (key !== undefined) sizes.set(key, (sizes.get(key) ?? 0) + 1)
  let winner: string | undefined
  let count = 0
  let unique = false
  for (const [key, size] of sizes) {
    if (size > count) [winner, count, unique] = [key, size, true]
    else if (size === count) unique = false
  }
  if (winner !== undefined && count >= threshold && !unique) return { reached: false, reason: 'tie' }
  if (winner === undefined || count < threshold) return { reached: false, reason: 'too-few' }
  const agreeing = keys.flatMap((key, i) => (key === winner ? [i] : []))
  const dissenting = keys.flatMap((key, i) => (key === winner ? [] : [i]))
  const delivered =
    winner === MEDIAN ? lowerMedian(answers, agreeing, aggregation === 'MedianInt256') : agreeing[0]!
  return { reached: true, delivered, agreeing, dissenting }
}

/** undefined: an OK answer that is not one 32-byte word under a median rule (it can only dissent). */
function groupKey(aggregation: Aggregation, status: number, result: string): string | undefined {
  if (aggregation !== 'Identical' && status === 0) return result.length === 66 ? MEDIAN : undefined
  return `${status}:${result.toLowerCase()}`
}

/** The ((m - 1) / 2)-th smallest value (the lower median), a stable sort by value. */
function lowerMedian(answers: { result: string }[], members: number[], signed: boolean): number {
  const value = (i: number) => {
    const word = BigInt(answers[i]!.result)
    return signed ? BigInt.asIntN(256, word) : word
  }
  const order = [...members].sort((a, b) => {
    const x = value(a)
    const y = value(b)
    return x < y ? -1 : x > y ? 1 : a - b
  })
  return order[Math.floor((order.length - 1) / 2)]!
}
