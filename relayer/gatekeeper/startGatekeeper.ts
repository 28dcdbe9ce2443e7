import { type EventFragment, Interface, JsonRpcProvider, type Log, Wallet } from 'ethers'
import { registryDomain } from '../../contracts/admissionTypedData.js'
import { attachRegistry } from '../../contracts/artifacts.js'
import type { TeefnRegistryContract } from '../../contracts/contractTypes.js'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { AdmissionBook } from './admissionBook.js'
import { type ExchangeParameters, pullAdmissions, pushAdmission } from './exchangeSignatures.js'
import type { GatekeeperPolicy } from './judgeCandidate.js'
import { signRequestedAdmission } from './signRequestedAdmission.js'
import { startGatekeeperApi } from './startGatekeeperApi.js'
import { submitHeldAdmission } from './submitHeldAdmission.js'

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
  /** How long signatures stay usable (`deadline` = the request block's time + this). */
  deadlineSeconds: number
  /** How long the gatekeeper ranked r waits, times r, after k signatures are held, before it submits. */
  failoverMs: number
  pollMs: number
  /** First block scanned; the head at start by default. */
  fromBlock?: number | undefined
  logger: Logger
}

export type RunningGatekeeper = { address: string; url: string; close(): Promise<void> }

/** A statement this gatekeeper signed and has not yet seen used: when it first held k signatures. */
type Pending = { digest: string; worker: string; quorumSince: number | undefined }

/**
 * The `gatekeeper` role: watches the registry's `AdmissionRequested` (at `confirmations`), verifies each
 * candidate's quote itself and signs an `Admission` when it passes (`signRequestedAdmission`), exchanges
 * signatures with its peers over HTTP, and submits `admitWorkerByQuorum` once k are held, in its rank's turn
 * (`submitHeldAdmission`). No admin is involved at any step.
 */
export async function startGatekeeper(parameters: StartGatekeeperParameters): Promise<RunningGatekeeper> {
  const provider = new JsonRpcProvider(parameters.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
  })
  const wallet = new Wallet(parameters.key, provider)
  const registry = attachRegistry(parameters.registry, wallet)
  const { chainId } = await provider.getNetwork()
  const book = new AdmissionBook(registryDomain(chainId, parameters.registry))
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
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(
    readonly parameters: StartGatekeeperParameters,
    readonly provider: JsonRpcProvider,
    readonly wallet: Wallet,
    readonly registry: TeefnRegistryContract,
    readonly book: AdmissionBook,
  ) {}

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
    const entry = await signRequestedAdmission({ log, event: requestedEvent(), gatekeeper: this })
    if (!entry) return
    this.#pending.set(entry.digest, {
      digest: entry.digest,
      worker: entry.admission.worker,
      quorumSince: undefined,
    })
    await pushAdmission(entry, this.exchange())
  }

  async exchangeAndSubmit(): Promise<void> {
    const now = BigInt(Math.floor(Date.now() / 1000))
    for (const pending of [...this.#pending.values()]) {
      const entry = this.book.get(pending.digest)
      if (!entry || entry.admission.deadline < now) {
        this.#pending.delete(pending.digest)
        continue
      }
      if (entry.signatures.size < this.#threshold) {
        await pullAdmissions(pending.worker, this.exchange())
        await pushAdmission(entry, this.exchange())
      }
      if (entry.signatures.size < this.#threshold) continue
      pending.quorumSince ??= Date.now()
      const done = await submitHeldAdmission({ entry, since: pending.quorumSince, gatekeeper: this })
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
