import { InvalidArgumentError } from 'commander'

/** Parses a flag that takes a positive whole number (`--timeout <ms>`); commander reports a bad one (exit 2). */
export function positiveInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number')
  return parsed
}

/** Collects a repeatable flag (`--allow-host a --allow-host b`) into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}
