import { type EventFragment, Interface, JsonRpcProvider, type Log, Wallet } from 'ethers'
import { registryDomain } from '../../contracts/admissionTypedData.js'
import { attachRegistry } from '../../contracts/artifacts.js'
import type { TeefnRegistryContract } from '../../contracts/contractTypes.js'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { type ExchangeParameters, pullStatements, pushStatement } from './exchangeSignatures.js'
import type { GatekeeperPolicy } from './judgeCandidate.js'
import { AdmittedWorkerRechecks } from './recheckAdmittedWorkers.js'
import { signRequestedAdmission } from './signRequestedAdmission.js'
import { startGatekeeperApi } from './startGatekeeperApi.js'
import { StatementBook, type StatementEntry } from './statementBook.js'
import { submitHeldStatement } from './submitHeldStatement.js'

export type StartGatekeeperParameters = {
  rpcUrl: string
  registry: string
  /** The gatekeeper's private key (0x-hex): signs statements and pays for the submissions it makes. */
  key: string
  policy: Omit<GatekeeperPolicy, 'isPinned'>
  /** Other gatekeepers' API base URLs. */
  peers: readonly string[]
  host: string
  port: number
  /** Blocks an `AdmissionRequested` must be under before it is handled. */
  confirmations: number
  /** How long an admission lasts (`expiresAt` = the request block's time + this); all gatekeepers must agree. */
  admissionSeconds: number
  /** How long signatures stay usable (`deadline` = the request block's time + this; removals: `removalDeadline`). */
  deadlineSeconds: number
  /** How often each admitted worker's served quote is judged again; 10 minutes by default. */
  recheckMs?: number | undefined
  /** Failed rechecks in a row that remove a worker (a definite failure removes it at once); 3 by default. */
  removeAfterFailures?: number | undefined
  /** How long the gatekeeper ranked r waits, times r, after k signatures are held, before it submits. */
  failoverMs: number
  pollMs: number
  /** First block scanned; the head at start by default. */
  fromBlock?: number | undefined
  logger: Logger
}

export type RunningGatekeeper = { address: string; url: string; close(): Promise<void> }

/** A statement this gatekeeper signed and has not yet seen used: when it first held k signatures. */
type Pending = {
  digest: string
  kind: StatementEntry['kind']
  worker: string
  quorumSince: number | undefined
}

/**
 * The `gatekeeper` role: watches the registry's `AdmissionRequested` (at `confirmations`), verifies each
 * candidate's quote itself and signs an `Admission` when it passes (`signRequestedAdmission`); rechecks the
 * workers admitted since and signs the `Removal` of one that fails (`AdmittedWorkerRechecks`); exchanges
 * signatures with its peers over HTTP, and submits `admitWorkerByQuorum` / `removeWorkerByQuorum` once k are
 * held, in its rank's turn (`submitHeldStatement`). No admin is involved at any step.
 */
export async function startGatekeeper(parameters: StartGatekeeperParameters): Promise<RunningGatekeeper> {
  const provider = new JsonRpcProvider(parameters.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
  })
  const wallet = new Wallet(parameters.key, provider)
  const registry = attachRegistry(parameters.registry, wallet)
  const { chainId } = await provider.getNetwork()
  const book = new StatementBook(registryDomain(chainId, parameters.registry))
  const gatekeeper = new GatekeeperLoop(parameters, provider, wallet, registry, book)
  await gatekeeper.refreshSet()
  const api = await startGatekeeperApi({
    book,
    isGatekeeper: (address) => gatekeeper.isGatekeeper(address),
    host: parameters.host,
    port: parameters.port,
  })
  gatekeeper.next = parameters.fromBlock ?? (await provider.getBlockNumber())
  gatekeeper.start()
  parameters.logger.info({ gatekeeper: wallet.address, api: api.url }, 'gatekeeper started')
  return {
    address: wallet.address,
    url: api.url,
    close: async () => {
      await gatekeeper.stop()
      await api.close()
      provider.destroy()
    },
  }
}

let requested: EventFragment | undefined
/** `AdmissionRequested`, read from the artifact when first needed, not when the module loads (`teefn --help`). */
const requestedEvent = (): EventFragment =>
  (requested ??= new Interface(loadArtifact('TeefnRegistry').abi).getEvent('AdmissionRequested')!)

class GatekeeperLoop {
  next = 0
  #set: string[] = []
  #threshold = 0
  #pending = new Map<string, Pending>()
  readonly #rechecks: AdmittedWorkerRechecks
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(
    readonly parameters: StartGatekeeperParameters,
    readonly provider: JsonRpcProvider,
    readonly wallet: Wallet,
    readonly registry: TeefnRegistryContract,
    readonly book: StatementBook,
  ) {
    this.#rechecks = new AdmittedWorkerRechecks(
      parameters.recheckMs ?? 600_000,
      parameters.removeAfterFailures ?? 3,
    )
  }

  isGatekeeper(address: string): boolean {
    return this.#set.includes(address.toLowerCase())
  }

  async refreshSet(): Promise<void> {
    const [set, threshold] = await this.registry.gatekeepers()
    this.#set = set.map((address) => address.toLowerCase())
    this.#threshold = Number(threshold)
  }

  start(): void {
    this.#timer = setTimeout(() => {
      this.#running = this.tick().finally(() => {
        if (!this.#stopped) this.start()
      })
    }, this.parameters.pollMs)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  async tick(): Promise<void> {
    try {
      await this.refreshSet()
      await this.scan()
      for (const entry of await this.#rechecks.run(this)) await this.track(entry)
      await this.exchangeAndSubmit()
    } catch (error) {
      this.parameters.logger.warn({ err: String(error) }, 'gatekeeper round failed; retrying')
    }
  }

  /** Handles the `AdmissionRequested` logs of the blocks confirmed since the last round. */
  async scan(): Promise<void> {
    const head = (await this.provider.getBlockNumber()) - this.parameters.confirmations
    if (head < this.next) return
    const logs = await this.provider.getLogs({
      address: this.parameters.registry,
      topics: [requestedEvent().topicHash],
      fromBlock: this.next,
      toBlock: head,
    })
    for (const log of logs) await this.handle(log)
    this.next = head + 1
  }

  async handle(log: Log): Promise<void> {
    const decoded = new Interface([requestedEvent()]).decodeEventLog(requestedEvent(), log.data, log.topics)
    this.#rechecks.note(decoded.worker as string, decoded.quoteUrl as string)
    const entry = await signRequestedAdmission({ log, event: requestedEvent(), gatekeeper: this })
    if (entry) await this.track(entry)
  }

  /** Follows a statement this gatekeeper signed until it is used or dies, and posts it to the peers. */
  async track(entry: StatementEntry): Promise<void> {
    if (!this.#pending.has(entry.digest)) {
      const { digest, kind } = entry
      this.#pending.set(digest, { digest, kind, worker: entry.statement.worker, quorumSince: undefined })
    }
    await pushStatement(entry, this.exchange())
  }

  async exchangeAndSubmit(): Promise<void> {
    const now = BigInt(Math.floor(Date.now() / 1000))
    for (const pending of [...this.#pending.values()]) {
      const entry = this.book.get(pending.digest)
      if (!entry || entry.statement.deadline < now) {
        this.#pending.delete(pending.digest)
        continue
      }
      if (entry.signatures.size < this.#threshold) {
        await pullStatements(pending.kind, pending.worker, this.exchange())
        await pushStatement(entry, this.exchange())
      }
      if (entry.signatures.size < this.#threshold) continue
      pending.quorumSince ??= Date.now()
      const done = await submitHeldStatement({ entry, since: pending.quorumSince, gatekeeper: this })
      if (done) this.#pending.delete(pending.digest)
    }
    this.book.prune(now - 3600n)
  }

  get set(): readonly string[] {
    return this.#set
  }

  get threshold(): number {
    return this.#threshold
  }

  exchange(): ExchangeParameters {
    return {
      peers: this.parameters.peers,
      book: this.book,
      isGatekeeper: (address) => this.isGatekeeper(address),
      timeoutMs: 5_000,
      logger: this.parameters.logger,
    }
  }
}

export type { GatekeeperLoop }
