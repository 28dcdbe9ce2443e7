import type { TypedDataDomain } from 'ethers'
import {
  type GatekeeperStatement,
  gatekeeperSignersOf,
  hashGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'

/** The statements about one worker that gatekeepers exchange: admissions and removals. */
export type WorkerStatementKind = 'Admission' | 'Removal'

/** One statement and the current gatekeepers' signatures of it, by signer (lowercase). */
export type StatementEntry<K extends WorkerStatementKind = WorkerStatementKind> = {
  kind: K
  digest: string
  statement: GatekeeperStatement[K]
  signatures: Map<string, string>
}

/**
 * The `Admission` and `Removal` statements a gatekeeper knows and their signatures, as exchanged between
 * gatekeepers. Self-verifying: a signature is kept only when it recovers to a current gatekeeper over that very
 * statement, so a peer (or anyone posting) can add nothing the registry would not count.
 */
export class StatementBook {
  readonly #entries = new Map<string, StatementEntry>()

  constructor(readonly domain: TypedDataDomain) {}

  /** Adds the valid signatures among `signatures`; returns how many were new. */
  add<K extends WorkerStatementKind>(
    kind: K,
    statement: GatekeeperStatement[K],
    signatures: readonly string[],
    isGatekeeper: (address: string) => boolean,
  ): number {
    const digest = hashGatekeeperStatement(this.domain, kind, statement)
    let entry = this.#entries.get(digest)
    let added = 0
    for (const signature of signatures) {
      let signer: string
      try {
        signer = gatekeeperSignersOf(this.domain, kind, statement, [signature])[0]!.toLowerCase()
      } catch {
        continue
      }
      if (!isGatekeeper(signer) || entry?.signatures.has(signer)) continue
      if (!entry) {
        entry = { kind, digest, statement, signatures: new Map() }
        this.#entries.set(digest, entry)
      }
      entry.signatures.set(signer, signature)
      added++
    }
    return added
  }

  get(digest: string): StatementEntry | undefined {
    return this.#entries.get(digest)
  }

  /** The statements of `kind` about `worker`, newest nonce first. */
  forWorker<K extends WorkerStatementKind>(kind: K, worker: string): StatementEntry<K>[] {
    const lower = worker.toLowerCase()
    return [...this.#entries.values()]
      .filter(
        (entry): entry is StatementEntry<K> =>
          entry.kind === kind && entry.statement.worker.toLowerCase() === lower,
      )
      .sort((a, b) => Number(b.statement.nonce - a.statement.nonce))
  }

  /** Forgets statements whose deadline is before `now` (unix seconds): the registry would refuse them. */
  prune(now: bigint): void {
    for (const [digest, entry] of this.#entries)
      if (entry.statement.deadline < now) this.#entries.delete(digest)
  }
}
