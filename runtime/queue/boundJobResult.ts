import type { JobLogEntry, RequestJobResult } from './jobs.js'

export type BoundJobResultParameters = {
  /** Result bytes kept (the envelope's `result`); above it the job keeps a digest only. */
  resultBytes: number
  /** Bytes of logs kept, measured as stored (each entry's JSON); the rest is dropped behind a marker line. */
  logBytes: number
}

/** Room kept for the marker line, so the bound holds with it. */
const markerRoom = 200

/**
 * A request job's result as Redis may keep it. BullMQ stores the return value twice (the completed job and its
 * `completed` event), as JSON, where a log line of control characters is six times its UTF-8 size and an empty
 * line still costs an entry: so logs are measured as JSON and cut with a marker. The result is signed and cannot
 * be cut: one over `resultBytes` is left out of the stored envelope (`result: '0x'`, `resultOmitted`), whose
 * `resultHash` still commits to it.
 */
export function boundJobResult(
  result: RequestJobResult,
  { resultBytes, logBytes }: BoundJobResultParameters,
): RequestJobResult {
  const logs = boundLogs(result.logs, logBytes)
  const bytes = (result.envelope.result.length - 2) / 2
  if (bytes <= resultBytes) return logs === result.logs ? result : { ...result, logs }
  return {
    ...result,
    logs,
    envelope: { ...result.envelope, result: '0x' },
    resultOmitted: { bytes },
  }
}

function boundLogs(entries: JobLogEntry[], maxBytes: number): JobLogEntry[] {
  if (jsonBytes(entries) <= maxBytes) return entries
  const budget = maxBytes - markerRoom
  let used = 2 // [ ]
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!
    const size = jsonBytes(entry) + 1
    if (used + size <= budget) {
      used += size
      continue
    }
    const kept = entries.slice(0, index)
    const room = budget - used - 1
    const cut = room > 64 ? cutEntry(entry, room) : undefined
    if (cut) kept.push(cut)
    kept.push({
      level: 'warn',
      message: `[teefn: stored logs cut at ${maxBytes} bytes; ${entries.length - index} of ${entries.length} lines left out]`,
    })
    return kept
  }
  return entries // not reached: the whole list was over the bound
}

/** The longest prefix of the entry's message whose JSON fits in `maxBytes`. */
function cutEntry(entry: JobLogEntry, maxBytes: number): JobLogEntry | undefined {
  let low = 0
  let high = Math.min(entry.message.length, maxBytes)
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (jsonBytes({ level: entry.level, message: prefix(entry.message, middle) }) <= maxBytes) low = middle
    else high = middle - 1
  }
  return low === 0 ? undefined : { level: entry.level, message: prefix(entry.message, low) }
}

/** The first `length` UTF-16 units, without splitting a surrogate pair. */
function prefix(text: string, length: number): string {
  const end = /[\uD800-\uDBFF]/.test(text[length - 1] ?? '') ? length - 1 : length
  return text.slice(0, end)
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value))
}
