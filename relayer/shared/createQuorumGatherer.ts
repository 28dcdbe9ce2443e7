import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { createQuorumEnvelopeStore } from '../../runtime/queue/createQuorumEnvelopeStore.js'
import { createQuorumEnvelopeWaiter } from '../../runtime/queue/createQuorumEnvelopeWaiter.js'
import { quorumRequestRefOf } from '../../runtime/queue/quorumEnvelopeKey.js'
import { pushEnvelopeToPeers } from './pushEnvelopeToPeers.js'
import { submitterRank } from './submitterRank.js'

export type QuorumGathererSettings = {
  /** The other nodes' API base URLs. */
  peers: readonly string[]
  /** The node ranked r waits r × this before it submits; 5 s by default. */
  failoverDelayMs?: number | undefined
  /**
   * Once k agree, how long a node waits for the members that have not answered yet (so dissenters are named and
   * every node ranks with the same answers in hand); it stops waiting as soon as every member answered. A member
   * still silent then is left out of the submit order: a slow or dead node does not hold the turn. 300 ms by
   * default.
   */
  settleMs?: number | undefined
  /**
   * How long one attempt gathers before it gives its slot back (`waiting`: the caller delays the job and comes
   * back), so requests that never reach k do not hold the submitter's slots until their deadline; 10 s by default.
   */
  gatherWindowMs?: number | undefined
  /** How often a waiting node asks the chain whether the request was answered; 500 ms by default. */
  openCheckMs?: number | undefined
}

export type CreateQuorumGathererParameters = QuorumGathererSettings & {
  /** The node's Redis: its envelope store, and the pub/sub channel that announces arrivals. */
  connection: Redis
  logger?: Logger | undefined
}

/** What a chain family tells the gatherer about one request. */
export type GatherParameters<Sent> = {
  /** This node's worker's envelope, verified. */
  own: Envelope
  /** Every node's worker (own included): the set the submit order is computed over. */
  members: () => Promise<readonly string[]>
  /**
   * Whether a held envelope counts (answers the same question, from an allowed signer). Its signature is checked
   * by the gatherer (Redis is not trusted), once per envelope.
   */
  counts: (held: Envelope) => boolean
  /** Whether the envelopes that count reach the quorum. */
  reached: (held: readonly Envelope[]) => boolean
  /** `false`: the request was answered (by anyone). Throws (`UnrecoverableError`) when it can no longer be. */
  isOpen: () => Promise<boolean>
  /** Sends the quorum: every envelope that counts, dissenters included. */
  submit: (held: readonly Envelope[]) => Promise<Sent>
}

export type GatherReturnType<Sent> =
  | (Sent & {
      /** This node's turn among the members. */
      rank: number
    })
  /** Not k agreeing answers yet: try again later (never a job's final result). */
  | { outcome: 'waiting' }
  | { outcome: 'alreadyFulfilled'; rank?: number | undefined }

export type QuorumGatherer = {
  gather<Sent>(parameters: GatherParameters<Sent>): Promise<GatherReturnType<Sent>>
  /** Stops listening for arrivals; gathers in progress see no more wake-ups. */
  close(): Promise<void>
}

/**
 * The chain-neutral node side of a result quorum (docs/protocol.md, section 6): keeps this worker's envelope,
 * posts it to every peer, and wakes on each envelope stored for the request (Redis pub/sub from the store, which
 * `POST /v1/envelopes` fills) until the ones that count reach the quorum. Then it waits for the other members
 * (at most `settleMs`), and the node ranked r among the members that answered (`submitterRank`, the same order on
 * every node that holds the same answers) waits r × failoverDelayMs, checks the request is still open, and
 * submits; rank 0 submits at once.
 */
export function createQuorumGatherer({
  connection,
  peers,
  failoverDelayMs = 5_000,
  settleMs = 300,
  gatherWindowMs = 10_000,
  openCheckMs = 500,
  logger,
}: CreateQuorumGathererParameters): QuorumGatherer {
  const store = createQuorumEnvelopeStore({ connection })
  const waiter = createQuorumEnvelopeWaiter(connection)
  const signatures = createSignatureMemo()

  return {
    async gather({ own, members, counts, reached, isOpen, submit }) {
      const ref = quorumRequestRefOf(own)
      const log = logger?.child({ requestId: own.requestId })
      const held = async () =>
        (await store.list(ref)).filter((item) => counts(item) && signatures.signedByItsWorker(item))
      // First, and alongside the gathering: the peers wait for it, and a slow peer must not hold this node back.
      void pushEnvelopeToPeers({ peers, envelope: own, logger: log })
      // Subscribed before anything is read: an envelope stored from here on wakes this delivery.
      const arrivals = await waiter.watch(ref)
      try {
        await store.add(own)

        const gatherUntil = Date.now() + gatherWindowMs
        let checkedAt = Date.now()
        let answers = await held()
        while (!reached(answers)) {
          if (Date.now() >= gatherUntil) return { outcome: 'waiting' }
          if (Date.now() - checkedAt >= openCheckMs) {
            if (!(await isOpen())) return { outcome: 'alreadyFulfilled' }
            checkedAt = Date.now()
          }
          await arrivals.next(Math.min(openCheckMs, gatherUntil - Date.now()))
          answers = await held()
        }

        // Every member that answered is in `everyone`: all answered once the answers are as many.
        const everyone = new Set([...(await members()), ...answers.map((item) => item.worker)].map(lower))
        const settleUntil = Date.now() + settleMs
        while (answers.length < everyone.size && Date.now() < settleUntil) {
          await arrivals.next(settleUntil - Date.now())
          answers = await held()
        }

        // Over the members that answered: the same on every node once all answered (the usual case), and a silent
        // one (slow, down) does not make the others wait out a failover delay for it.
        const rank = submitterRank(
          own.requestId,
          own.worker,
          answers.map((item) => item.worker),
        )
        const turnAt = Date.now() + rank * failoverDelayMs
        while (Date.now() < turnAt) {
          await sleep(Math.min(openCheckMs, turnAt - Date.now()))
          if (!(await isOpen())) return { outcome: 'alreadyFulfilled', rank }
        }
        if (rank > 0) answers = await held()
        log?.info({ rank, answers: answers.length }, 'submitting the quorum')
        return { ...(await submit(answers)), rank }
      } finally {
        await arrivals.close()
      }
    },
    close: () => waiter.close(),
  }
}

const lower = (value: string) => value.toLowerCase()

/**
 * Whether an envelope's signature verifies for the worker it names, remembered per envelope (its whole content):
 * a node tallies the same envelopes again on every arrival, and a signature check costs milliseconds.
 */
function createSignatureMemo(maxEntries = 4_096) {
  const known = new Map<string, boolean>()
  return {
    signedByItsWorker(envelope: Envelope): boolean {
      const key = JSON.stringify(envelope)
      let valid = known.get(key)
      if (valid === undefined) {
        try {
          verifyParsedEnvelope(envelope)
          valid = true
        } catch {
          valid = false
        }
        if (known.size >= maxEntries) known.clear()
        known.set(key, valid)
      }
      return valid
    },
  }
}
