import { UsageError } from '../UsageError.js'

const unitSeconds = { s: 1, m: 60, h: 3_600, d: 86_400 } as const

/** Seconds in a duration flag: `30d`, `12h`, `90m`, `45s` or a plain number of seconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^([1-9][0-9]*)([smhd])?$/.exec(value.trim())
  const seconds = match
    ? Number(match[1]) * unitSeconds[(match[2] ?? 's') as keyof typeof unitSeconds]
    : Number.NaN
  if (!Number.isSafeInteger(seconds)) {
    throw new UsageError(
      `${flag} ${value} is not a duration`,
      'e.g. 30d, 12h, 90m, 45s or a number of seconds',
    )
  }
  return seconds
}
