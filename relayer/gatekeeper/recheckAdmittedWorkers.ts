import { FailureStreaks } from './failureStreaks.js'
import { fetchServedAttestation } from './fetchServedAttestation.js'
import { judgeAdmittedWorker } from './judgeAdmittedWorker.js'
import { signRemoval } from './signRemoval.js'
import type { GatekeeperLoop } from './startGatekeeper.js'
import type { StatementEntry } from './statementBook.js'

/**
 * A gatekeeper's watch over the workers it saw ask for admission: every `recheckMs`, each one still admitted is
 * judged again (`judgeAdmittedWorker`) from the quoteUrl of its last request, with the registry's pins as they
 * are now. Once it fails definitely, or `failures` times in a row (`FailureStreaks`), this gatekeeper signs its
 * `Removal` (`signRemoval`) and does so again every recheck while the worker stays admitted and bad.
 */
export class AdmittedWorkerRechecks {
  /** Each worker's latest request: where its quote is served, and when this gatekeeper saw it (ms). */
  readonly #requests = new Map<string, { quoteUrl: string; seenAt: number }>()
  readonly #streaks: FailureStreaks
  #due = 0

  constructor(
    readonly recheckMs: number,
    failures: number,
  ) {
    this.#streaks = new FailureStreaks(failures)
  }

  /** An `AdmissionRequested` of `worker` (in log order): its quote is fetched from there from now on. */
  note(worker: string, quoteUrl: string): void {
    this.#requests.set(worker, { quoteUrl, seenAt: Date.now() })
  }

  /**
   * Rechecks every known worker when due; returns the removal entries this gatekeeper signed or still holds. A
   * worker not active is skipped (`undefined`), and forgotten once its request is older than `deadlineSeconds`.
   */
  async run(gatekeeper: GatekeeperLoop): Promise<StatementEntry<'Removal'>[]> {
    if (Date.now() < this.#due) return []
    this.#due = Date.now() + this.recheckMs
    const entries: StatementEntry<'Removal'>[] = []
    for (const [worker, { quoteUrl, seenAt }] of this.#requests) {
      let removals: StatementEntry<'Removal'>[] | undefined
      try {
        removals = await this.#recheck(gatekeeper, worker, quoteUrl)
      } catch (error) {
        // The chain did not answer: no verdict this round, and no streak either way.
        gatekeeper.parameters.logger.warn({ worker, err: String(error).slice(0, 300) }, 'recheck skipped')
        continue
      }
      if (removals === undefined) {
        // Not admitted, and no admission signed for its request can still be used: forget it until it asks again.
        if (Date.now() > seenAt + gatekeeper.parameters.deadlineSeconds * 1000) this.#requests.delete(worker)
        continue
      }
      entries.push(...removals)
    }
    return entries
  }

  async #recheck(
    gatekeeper: GatekeeperLoop,
    worker: string,
    quoteUrl: string,
  ): Promise<StatementEntry<'Removal'>[] | undefined> {
    const { parameters, registry, provider, wallet, book } = gatekeeper
    if (!(await registry.isWorkerActive(worker))) {
      this.#streaks.forget(worker)
      return undefined
    }
    const verdict = await judgeAdmittedWorker({
      worker,
      admittedMeasurement: await registry.workerMeasurement(worker),
      fetchServed: () => fetchServedAttestation(quoteUrl, 5_000),
      policy: { ...parameters.policy, isPinned: (measurement) => registry.isMeasurementPinned(measurement) },
    })
    const { streak, remove } = this.#streaks.record(worker, verdict)
    if (verdict.keep) return []
    const { code, reason, definite } = verdict
    const failure = { worker, quoteUrl, code, reason, definite, streak, of: this.#streaks.limit }
    if (!remove) {
      parameters.logger.warn(failure, 'admitted worker failed its recheck')
      return []
    }
    const [block, nonce] = await Promise.all([provider.getBlock('latest'), registry.workerNonce(worker)])
    if (!block) return []
    const entries = await signRemoval({
      worker,
      nonce,
      chainTime: block.timestamp,
      deadlineSeconds: parameters.deadlineSeconds,
      signer: wallet,
      book,
      isGatekeeper: (address) => gatekeeper.isGatekeeper(address),
    })
    const deadlines = entries.map((entry) => Number(entry.statement.deadline))
    parameters.logger.warn({ ...failure, nonce: Number(nonce), deadlines }, 'removal signed')
    return entries
  }
}
