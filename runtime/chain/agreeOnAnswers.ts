import { ChainReadError } from './ChainReadError.js'

/** What one endpoint said: a value (JSON data: strings, numbers, booleans, null, arrays, objects) or why not. */
export type EndpointAnswer<T> = { endpoint: string } & ({ ok: true; value: T } | { ok: false; error: string })

export type AgreeOnAnswersParameters<T> = {
  answers: readonly EndpointAnswer<T>[]
  /** How many endpoints must give the very same value. */
  quorum: number
  /** What was asked, for the error ("request 0x12… on chain 1"). */
  what: string
  /** A short description of a value for the error (block hash, found or not...). */
  describe: (value: T) => string
}

export type AgreeOnAnswersReturnType<T> = {
  value: T
  /** Endpoints that gave the agreed value. */
  agreeing: string[]
  /** Endpoints that gave another value (not the ones that failed to answer). */
  dissenting: string[]
}

/**
 * The value at least `quorum` endpoints gave, compared as canonical JSON; otherwise `RPC_QUORUM_NOT_REACHED`
 * (retryable) naming what each endpoint said. A value only a minority gives never wins, however many
 * endpoints failed.
 */
export function agreeOnAnswers<T>({
  answers,
  quorum,
  what,
  describe,
}: AgreeOnAnswersParameters<T>): AgreeOnAnswersReturnType<T> {
  const groups = new Map<string, { value: T; endpoints: string[] }>()
  for (const answer of answers) {
    if (!answer.ok) continue
    const key = canonicalJson(answer.value)
    const group = groups.get(key)
    if (group) group.endpoints.push(answer.endpoint)
    else groups.set(key, { value: answer.value, endpoints: [answer.endpoint] })
  }
  const ranked = [...groups.values()].sort((a, b) => b.endpoints.length - a.endpoints.length)
  const best = ranked[0]
  if (best && best.endpoints.length >= quorum) {
    return {
      value: best.value,
      agreeing: best.endpoints,
      dissenting: ranked.slice(1).flatMap((group) => group.endpoints),
    }
  }
  const said = answers.map((answer) =>
    answer.ok ? `${answer.endpoint}: ${describe(answer.value)}` : `${answer.endpoint}: ${answer.error}`,
  )
  throw new ChainReadError('RPC_QUORUM_NOT_REACHED', `The RPC endpoints did not agree on ${what}.`, {
    details: `${quorum} of ${answers.length} must give the same answer; ${said.join('; ')}.`,
    hint: 'Nothing was signed; the job is retried later. If an endpoint keeps disagreeing, check it or replace it.',
  })
}

/** JSON with object keys sorted, so equal data compares equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry
    return Object.fromEntries(
      Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    )
  })
}
