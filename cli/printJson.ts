/** `--json` prints exactly one JSON object on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** What a failed check prints: the reason code, the short message and the details (as JSON with `--json`). */
export function printRejection(
  verdict: 'invalid' | 'rejected',
  error: { reason: string; shortMessage: string; details?: string | undefined },
  json: boolean | undefined,
): void {
  if (json) {
    printJson({ valid: false, reason: error.reason, message: error.shortMessage, details: error.details })
    return
  }
  const details = error.details ? ` (${error.details})` : ''
  process.stdout.write(`${verdict}: ${error.reason}: ${error.shortMessage}${details}\n`)
}
