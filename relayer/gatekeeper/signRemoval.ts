import {
  hashGatekeeperStatement,
  type Removal,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import type { TypedDataSigner } from '../../contracts/fulfillmentTypedData.js'
import type { StatementBook, StatementEntry } from './statementBook.js'

export type SignRemovalParameters = {
  worker: string
  /** `workerNonce(worker)` now. */
  nonce: bigint
  /** The latest block's timestamp (unix seconds). */
  chainTime: number
  /** `gatekeeper.deadlineSeconds`: the window removal deadlines are counted in; the same on every gatekeeper. */
  deadlineSeconds: number
  signer: TypedDataSigner & { address: string }
  book: StatementBook
  isGatekeeper(address: string): boolean
}

/**
 * The deadline of a removal signed at `chainTime`: the end of the window after the current one, counting windows
 * of `deadlineSeconds` from 0. Gatekeepers that judge a worker in the same window sign the same statement without
 * talking to each other, and the signatures stay usable for at least one whole window.
 */
export function removalDeadline(chainTime: number, deadlineSeconds: number): bigint {
  return BigInt((Math.floor(chainTime / deadlineSeconds) + 2) * deadlineSeconds)
}

/**
 * Signs the `Removal` of `worker` this gatekeeper derives now (`removalDeadline`), and co-signs the removals of
 * it that peers proposed in another window (held in the book: same nonce, deadline not passed and at most two
 * windows ahead), so that a verdict reached across a window's end still adds up. Called only once this gatekeeper
 * judged the worker bad itself. Returns the entries holding its signature.
 */
export async function signRemoval({
  worker,
  nonce,
  chainTime,
  deadlineSeconds,
  signer,
  book,
  isGatekeeper,
}: SignRemovalParameters): Promise<StatementEntry<'Removal'>[]> {
  const own: Removal = { worker, nonce, deadline: removalDeadline(chainTime, deadlineSeconds) }
  const latest = BigInt(chainTime + 2 * deadlineSeconds)
  const statements = [
    own,
    ...book
      .forWorker('Removal', worker)
      .map((entry) => entry.statement)
      .filter((s) => s.nonce === nonce && s.deadline >= BigInt(chainTime) && s.deadline <= latest),
  ]
  const entries = new Map<string, StatementEntry<'Removal'>>()
  for (const statement of statements) {
    const digest = hashGatekeeperStatement(book.domain, 'Removal', statement)
    if (!book.get(digest)?.signatures.has(signer.address.toLowerCase())) {
      const signature = await signGatekeeperStatement(signer, book.domain, 'Removal', statement)
      book.add('Removal', statement, [signature], isGatekeeper)
    }
    const entry = book.get(digest) as StatementEntry<'Removal'> | undefined
    if (entry) entries.set(digest, entry)
  }
  return [...entries.values()]
}
