import { pino } from 'pino'
import { type Logger, redactedLogPaths } from '../../runtime/logging/createLogger.js'

export type CapturedLogs = {
  /** Give it to the node (`startTeefnStack({ logger })`): it logs as production does, into `lines`. */
  logger: Logger
  /** Every line logged so far (pino JSON). */
  lines: string[]
  /** All lines as one text, for `not.toContain(secret)`. */
  text(): string
}

/**
 * A logger like `createLogger`'s (same redaction), at `debug`, that keeps its lines in memory: tests assert that
 * no secret or key reaches the node's logs.
 */
export function captureLogs(name = 'teefn-stack'): CapturedLogs {
  const lines: string[] = []
  const logger = pino(
    { name, level: 'debug', redact: { paths: redactedLogPaths, censor: '[redacted]' } },
    {
      write(line: string) {
        lines.push(line)
      },
    },
  )
  return { logger, lines, text: () => lines.join('') }
}
