import { type Logger, pino } from 'pino'

export type { Logger }

export type CreateLoggerParameters = {
  /** The component: `worker`, `relayer-evm`, `server`... */
  name: string
  /** `TEEFN_LOG_LEVEL`, else `info`; `silent` turns logging off. */
  level?: string | undefined
}

/**
 * Fields that must never reach a log, whatever object they sit in: secrets, keys, credentials. pino
 * replaces them with `[redacted]` before serializing.
 */
export const redactedLogPaths = [
  'secrets',
  '*.secrets',
  'privateKey',
  '*.privateKey',
  'apiKey',
  '*.apiKey',
  'passphrase',
  '*.passphrase',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
]

/** The structured JSON logger every teefn process uses (pino, one line per event, on stdout). */
export function createLogger({
  name,
  level = process.env.TEEFN_LOG_LEVEL ?? 'info',
}: CreateLoggerParameters): Logger {
  return pino({ name, level, redact: { paths: redactedLogPaths, censor: '[redacted]' } })
}
