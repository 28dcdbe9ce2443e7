import { AGGREGATIONS, type Aggregation } from '../../contracts/quorumFulfillment.js'
import { UsageError } from '../UsageError.js'

/** How `teefn chain policy --aggregation` names `ITeefnRegistry.Aggregation`, by index (append-only). */
export const AGGREGATION_FLAGS = ['identical', 'median-uint256', 'median-int256'] as const
export type AggregationFlag = (typeof AGGREGATION_FLAGS)[number]

/** The flag's `Aggregation` index, as `setResultPolicy` takes it. */
export function aggregationIndex(flag: string): number {
  const index = AGGREGATION_FLAGS.indexOf(flag as AggregationFlag)
  if (index < 0) {
    throw new UsageError(`--aggregation ${flag} is not known`, `one of ${AGGREGATION_FLAGS.join(', ')}`)
  }
  return index
}

/** The flag name and the contract's name of an `Aggregation` index read from the registry. */
export function describeAggregation(index: bigint | number): { flag: string; name: Aggregation | string } {
  const i = Number(index)
  return { flag: AGGREGATION_FLAGS[i] ?? `unknown(${i})`, name: AGGREGATIONS[i] ?? `unknown(${i})` }
}

/**
 * A count flag (`--k`, `--threshold`) that the contract takes as a uint8: a whole number from 1 to 255. The
 * contract decides the upper bound (`InvalidThreshold`), so it is not repeated here.
 */
export function parseThreshold(value: string | undefined, flag: string): number {
  const k = Number(value)
  if (value === undefined || !/^\d+$/.test(value) || k < 1 || k > 255) {
    throw new UsageError(`${flag} must be a whole number from 1 to 255`, `got ${value ?? 'nothing'}`)
  }
  return k
}
