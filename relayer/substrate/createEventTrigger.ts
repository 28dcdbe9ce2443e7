import type { Event, EventRecord, Extrinsic } from '@polkadot/types/interfaces'
import type { SubstrateBlock, SubstrateTrigger, TriggerFinding } from './SubstrateTrigger.js'

/** One event that passed a trigger's filter, with where it sits in its block. */
export type EventMatch = {
  block: SubstrateBlock
  record: EventRecord
  event: Event
  eventIndex: number
  /** The extrinsic that emitted it (undefined for events of block initialization or finalization). */
  extrinsicIndex: number | undefined
  extrinsic: Extrinsic | undefined
  /** How many earlier events of the same extrinsic passed the same filter. */
  ordinal: number
}

export type CreateEventTriggerParameters = {
  name: string
  /** Cheap test on each event of a block, e.g. `event.section === 'myPallet' && event.method === 'Requested'`. */
  filter: (event: Event) => boolean
  /** The request (or result) an event carries; undefined to ignore it. A throw counts as malformed. */
  map: (match: EventMatch) => TriggerFinding | undefined
}

/**
 * A trigger from an event filter and a mapping: the generic way a chain with its own pallet or contract
 * turns its events into teefn requests. The mapping is guarded: bad chain data becomes a `malformed` finding,
 * never a crash of the watcher.
 */
export function createEventTrigger({ name, filter, map }: CreateEventTriggerParameters): SubstrateTrigger {
  return {
    name,
    scan(block) {
      const findings: TriggerFinding[] = []
      const ordinals = new Map<number, number>()
      block.events.forEach((record, eventIndex) => {
        const { event, phase } = record
        let matched: boolean
        try {
          matched = filter(event)
        } catch {
          matched = false
        }
        if (!matched) return
        const extrinsicIndex = phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : undefined
        const key = extrinsicIndex ?? -1
        const ordinal = ordinals.get(key) ?? 0
        ordinals.set(key, ordinal + 1)
        const extrinsic = extrinsicIndex === undefined ? undefined : block.extrinsics[extrinsicIndex]
        try {
          const finding = map({ block, record, event, eventIndex, extrinsicIndex, extrinsic, ordinal })
          if (finding) findings.push(finding)
        } catch (error) {
          findings.push({
            kind: 'malformed',
            extrinsicIndex,
            eventIndex,
            reason: `${name}: ${(error as Error)?.message ?? String(error)}`.slice(0, 300),
          })
        }
      })
      return findings
    },
  }
}
