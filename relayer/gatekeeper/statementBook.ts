import type { TypedDataDomain } from 'ethers'
import {
  type Admission,
  gatekeeperSignersOf,
  hashGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'

/** One `Admission` statement and the current gatekeepers' signatures of it, by signer (lowercase). */
export type AdmissionEntry = { digest: string; admission: Admission; signatures: Map<string, string> }

/**
 * The `Admission` statements a gatekeeper knows and their signatures, as exchanged between gatekeepers. Self-
 * verifying: a signature is kept only when it recovers to a current gatekeeper over that very statement, so a
 * peer (or anyone posting) can add nothing the registry would not count.
 */
export class AdmissionBook {
  readonly #entries = new Map<string, AdmissionEntry>()

  constructor(readonly domain: TypedDataDomain) {}

  /** Adds the valid signatures among `signatures`; returns how many were new. */
  add(
    admission: Admission,
    signatures: readonly string[],
    isGatekeeper: (address: string) => boolean,
  ): number {
    const digest = hashGatekeeperStatement(this.domain, 'Admission', admission)
    let entry = this.#entries.get(digest)
    let added = 0
    for (const signature of signatures) {
      let signer: string
      try {
        signer = gatekeeperSignersOf(this.domain, 'Admission', admission, [signature])[0]!.toLowerCase()
      } catch {
        continue
      }
      if (!isGatekeeper(signer) || entry?.signatures.has(signer)) continue
      if (!entry) {
        entry = { digest, admission, signatures: new Map() }
        this.#entries.set(digest, entry)
      }
      entry.signatures.set(signer, signature)
      added++
    }
    return added
  }

  get(digest: string): AdmissionEntry | undefined {
    return this.#entries.get(digest)
  }

  /** The statements about `worker`, newest nonce first. */
  forWorker(worker: string): AdmissionEntry[] {
    const lower = worker.toLowerCase()
    return [...this.#entries.values()]
      .filter((entry) => entry.admission.worker.toLowerCase() === lower)
      .sort((a, b) => Number(b.admission.nonce - a.admission.nonce))
  }

  /** Forgets statements whose deadline is before `now` (unix seconds): the registry would refuse them. */
  prune(now: bigint): void {
    for (const [digest, entry] of this.#entries)
      if (entry.admission.deadline < now) this.#entries.delete(digest)
  }
}
