/** What one endpoint said: an answer, or why it gave none (an error, a timeout, the wrong chain). */
export type EndpointOutcome<T> = { endpoint: string } & ({ answer: T } | { error: string })

export type ReachQuorumParameters<T> = {
  outcomes: readonly EndpointOutcome<T>[]
  /** How many endpoints must give the same answer. */
  quorum: number
}

export type ReachQuorumReturnType<T> =
  | { reached: true; answer: T; agreeing: string[] }
  /** `tooFew`: no answer has `quorum` votes. `conflict`: two different answers both have (quorum below a majority). */
  | { reached: false; reason: 'tooFew' | 'conflict'; votes: number }

/**
 * The answer at least `quorum` endpoints gave, compared as canonical JSON (so key order and object identity
 * do not matter). Errors are no vote. If two different answers both reach the quorum, nothing is agreed:
 * picking one would let a single lying endpoint decide whenever the quorum is below a majority.
 */
export function reachQuorum<T>({ outcomes, quorum }: ReachQuorumParameters<T>): ReachQuorumReturnType<T> {
  const groups = new Map<string, { answer: T; endpoints: string[] }>()
  for (const outcome of outcomes) {
    if (!('answer' in outcome)) continue
    const key = canonicalJson(outcome.answer)
    const group = groups.get(key) ?? { answer: outcome.answer, endpoints: [] }
    group.endpoints.push(outcome.endpoint)
    groups.set(key, group)
  }
  const reaching = [...groups.values()].filter((group) => group.endpoints.length >= quorum)
  const votes = Math.max(0, ...[...groups.values()].map((group) => group.endpoints.length))
  if (reaching.length === 1)
    return { reached: true, answer: reaching[0]!.answer, agreeing: reaching[0]!.endpoints }
  return { reached: false, reason: reaching.length > 1 ? 'conflict' : 'tooFew', votes }
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
  return sorted
}
