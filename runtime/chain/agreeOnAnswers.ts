import { ChainReadError } from './ChainReadError.js'
import { type EndpointOutcome, reachQuorum } from './reachQuorum.js'

export type AgreeOnAnswersParameters<T> = {
  outcomes: readonly EndpointOutcome<T>[]
  /** How many endpoints must give the very same answer. */
  quorum: number
  /** What was asked, for the error ("request 0x12… at block 7 on EVM chain 1"). */
  what: string
  /** A short description of an answer for the error (block hash, found or not...). */
  describe: (answer: T) => string
}

/**
 * The answer `reachQuorum` finds, or `RPC_QUORUM_NOT_REACHED` (retryable) naming what each endpoint said. An
 * answer only a minority gives never wins, however many endpoints failed.
 */
export function agreeOnAnswers<T>({ outcomes, quorum, what, describe }: AgreeOnAnswersParameters<T>): T {
  const verdict = reachQuorum({ outcomes, quorum })
  if (verdict.reached) return verdict.answer
  const said = outcomes.map((outcome) =>
    'answer' in outcome
      ? `${outcome.endpoint}: ${describe(outcome.answer)}`
      : `${outcome.endpoint}: ${outcome.error}`,
  )
  const tally =
    verdict.reason === 'conflict'
      ? `two different answers each have ${quorum} or more votes`
      : `at most ${verdict.votes} of ${outcomes.length} endpoints agree, ${quorum} needed`
  throw new ChainReadError(`The RPC endpoints did not agree on ${what}.`, {
    code: 'RPC_QUORUM_NOT_REACHED',
    details: `${tally}: ${said.join('; ')}.`,
    hint: 'Nothing was signed; the job is retried later. If an endpoint keeps disagreeing, check it or replace it.',
  })
}
