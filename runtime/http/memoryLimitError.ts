import type { MemoryBudget } from './createMemoryBudget.js'
import { FetchError } from './FetchError.js'
import { formatBytes } from './formatBytes.js'

export type MemoryLimitErrorParameters = {
  budget: MemoryBudget
  /** `https://host:port`, for the message. */
  origin: string
  /** What did not fit: `the response`, `the request body`. */
  what: string
  /** Bytes that were asked for. */
  neededBytes: number
}

/** The `MEMORY_LIMIT` error of a fetch whose bytes would take the invocation past its memory limit. */
export function memoryLimitError({
  budget,
  origin,
  what,
  neededBytes,
}: MemoryLimitErrorParameters): FetchError {
  return new FetchError(
    `${capitalize(what)} of the fetch to ${origin} does not fit in what is left of the invocation's ${formatBytes(budget.limitBytes)} memory limit.`,
    {
      code: 'MEMORY_LIMIT',
      details: `${neededBytes} more bytes needed; ${budget.describe()}`,
      hint: 'Read each response before starting more fetches, fetch fewer at once, ask the upstream for less, or ask for a higher memory limit.',
    },
  )
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`
}
