import type { LogEntry, LogLevel } from './types.js'

export type LogCollector = {
  /** Adds a message; returns false once the budget is spent, so callers can stop producing output. */
  add(level: LogLevel, message: string): boolean
  /** The entries so far; the last one says so when the budget ran out. */
  readonly entries: LogEntry[]
  /** The budget is spent: later messages are dropped without being formatted. */
  readonly full: boolean
}

export type CreateLogCollectorParameters = {
  /** Budget for all messages together, in UTF-8 bytes. */
  maxBytes: number
  /** Values that must never appear in a log: each occurrence becomes `[redacted]`. */
  redact?: readonly string[] | undefined
}

/** Short values are not redacted: replacing every "1" in the logs would hide more than it protects. */
const minimumRedactedLength = 6

/** Captures `console` output within a byte budget, with secret values masked. */
export function createLogCollector({ maxBytes, redact = [] }: CreateLogCollectorParameters): LogCollector {
  const entries: LogEntry[] = []
  const secrets = redact.filter((value) => value.length >= minimumRedactedLength)
  let usedBytes = 0
  let full = false

  return {
    entries,
    get full() {
      return full
    },
    add(level, message) {
      if (full) return false
      const text = maskSecrets(message, secrets)
      const size = Buffer.byteLength(text)
      if (usedBytes + size <= maxBytes) {
        usedBytes += size
        entries.push({ level, message: text })
        return true
      }
      const room = maxBytes - usedBytes
      if (room > 0) entries.push({ level, message: Buffer.from(text).subarray(0, room).toString() })
      entries.push({
        level: 'warn',
        message: `[teefn: log limit of ${maxBytes} bytes reached; later output was dropped]`,
      })
      full = true
      return false
    },
  }
}

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text
  for (const secret of secrets) {
    if (secret.length >= minimumRedactedLength && masked.includes(secret))
      masked = masked.replaceAll(secret, '[redacted]')
  }
  return masked
}
