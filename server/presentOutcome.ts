import type { Envelope } from '../runtime/enclave/envelope.js'
import type { RequestJobResult } from '../runtime/queue/jobs.js'
import type { ResultStatus } from '../runtime/resultStatus.js'
import type { LogEntry } from '../runtime/sandbox/types.js'

/** Logs an API answer carries at most, however much the function was allowed to print. */
export const maxApiLogEntries = 200
export const maxApiLogBytes = 64 * 1024

/** A finished invocation as the API shows it (invoke answers and job details). */
export type PresentedOutcome = {
  status: ResultStatus
  /** The result as text when it is printable UTF-8, else as 0x-hex (then equal to `resultHex`). */
  result: string
  resultEncoding: 'utf8' | 'hex'
  resultHex: `0x${string}`
  envelope: Envelope
  logs: LogEntry[]
  /** Whether logs were cut to the API's bound (`maxApiLogEntries`, `maxApiLogBytes`). */
  logsTruncated: boolean
  stats: { durationMs: number; fetches: number }
  /** The result was over what the node keeps of a job: the envelope shown has none, its resultHash commits to it. */
  resultOmitted?: { bytes: number } | undefined
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Result bytes for display: the text when they are UTF-8 without control characters (but tab, CR, LF), else undefined. */
export function printableText(bytes: Uint8Array): string | undefined {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return undefined
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return undefined
  }
  return text
}

/** The job's return value as the API shows it: the envelope as signed, the result decoded when printable. */
export function presentOutcome(result: RequestJobResult): PresentedOutcome {
  const resultHex = result.envelope.result
  const text = printableText(Buffer.from(resultHex.slice(2), 'hex'))
  const { logs, truncated } = boundLogs(result.logs)
  return {
    status: result.status,
    result: text ?? resultHex,
    resultEncoding: text === undefined ? 'hex' : 'utf8',
    resultHex,
    envelope: result.envelope,
    logs,
    logsTruncated: truncated,
    stats: { durationMs: Math.round(result.stats.durationMs * 1000) / 1000, fetches: result.stats.fetches },
    ...(result.resultOmitted ? { resultOmitted: { bytes: result.resultOmitted.bytes } } : {}),
  }
}

function boundLogs(entries: LogEntry[]): { logs: LogEntry[]; truncated: boolean } {
  const logs: LogEntry[] = []
  let bytes = 0
  for (const entry of entries) {
    if (logs.length >= maxApiLogEntries) return { logs, truncated: true }
    const size = Buffer.byteLength(entry.message)
    if (bytes + size > maxApiLogBytes) {
      const room = maxApiLogBytes - bytes
      if (room > 0) logs.push({ level: entry.level, message: cutUtf8(entry.message, room) })
      return { logs, truncated: true }
    }
    bytes += size
    logs.push(entry)
  }
  return { logs, truncated: false }
}

function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  let end = Math.min(maxBytes, bytes.length)
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}
