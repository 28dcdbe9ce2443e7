import type { Hex } from '../../runtime/bytes.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import type { DeliveredRecord } from './createSubstrateStateStore.js'
import type { SubstrateBlock, SubstrateTrigger, TriggerFinding } from './SubstrateTrigger.js'

/** A result finding. */
export type ResultFinding = Extract<TriggerFinding, { kind: 'result' }>

export type CollectFindingsParameters = {
  block: SubstrateBlock
  triggers: readonly SubstrateTrigger[]
  /** Lowercase AccountId32 hex of the accounts whose results count as delivered (the submitters' fee payers). */
  trusted: ReadonlySet<string>
  /** When the block was read: the requests' `seenAt`. */
  seenAt: number
  logger?: Logger | undefined
}

/** What the triggers found in a block, sorted for the watcher, with counts of what it does not act on. */
export type BlockFindings = {
  /** Requests to queue. */
  requests: RequestJobData[]
  /** Results from trusted senders, to index as delivered. */
  delivered: { requestId: Hex; record: DeliveredRecord }[]
  /** Quorum results from other senders: indexed as delivered only once they are judged valid. */
  quorumResults: { finding: ResultFinding; record: DeliveredRecord }[]
  /** Result findings, trusted or not. */
  results: number
  /** teefn data that did not decode, and matches that could not be read at all. */
  malformed: number
  unreadable: number
  /** Triggers that threw (their findings for this block are skipped). */
  errors: number
}

/**
 * Runs every trigger over a block and sorts what they found: requests (given `seenAt`), results from trusted
 * senders (indexed as delivered; anyone else's are only counted, so nobody can block a delivery with a fake
 * result), quorum results from anyone (another node's submitter: indexed once judged valid), and malformed or unreadable matches (counted and logged). A trigger that throws is logged and skipped
 * for this block, not retried forever.
 */
export function collectFindings({
  block,
  triggers,
  trusted,
  seenAt,
  logger,
}: CollectFindingsParameters): BlockFindings {
  const found: BlockFindings = {
    requests: [],
    delivered: [],
    quorumResults: [],
    results: 0,
    malformed: 0,
    unreadable: 0,
    errors: 0,
  }
  for (const trigger of triggers) {
    let findings: ReturnType<SubstrateTrigger['scan']>
    try {
      findings = trigger.scan(block)
    } catch (error) {
      found.errors++
      const err = (error as Error)?.message
      logger?.error({ trigger: trigger.name, block: block.number, err }, 'trigger failed')
      continue
    }
    for (const finding of findings) {
      if (finding.kind === 'request') {
        found.requests.push({ ...finding.request, seenAt })
      } else if (finding.kind === 'result') {
        found.results++
        const { requestId, extrinsicIndex } = finding
        const record = {
          blockHash: block.hash,
          blockNumber: block.number,
          extrinsicIndex,
          by: 'watcher' as const,
        }
        if (trusted.has(finding.sender.toLowerCase())) found.delivered.push({ requestId, record })
        else if (finding.envelopes) found.quorumResults.push({ finding, record })
      } else {
        found[finding.kind]++
        const where = { block: block.number, extrinsic: finding.extrinsicIndex, reason: finding.reason }
        if (finding.kind === 'malformed') {
          logger?.warn({ ...where, trigger: trigger.name }, 'malformed teefn request ignored')
        } else logger?.debug(where, 'unreadable event')
      }
    }
  }
  return found
}
