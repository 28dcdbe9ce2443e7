import { printJson } from '../printJson.js'
import type { RunReport } from './runFunctionOnce.js'

export type PrintRunReportOptions = {
  json: boolean
  /** One JSON object per line (`--watch --json` prints one per run). */
  compact?: boolean | undefined
}

/** Prints a run's report on stdout: its logs, then its result or error, then its duration and fetches. */
export function printRunReport(report: RunReport, { json, compact }: PrintRunReportOptions): void {
  const out = process.stdout
  if (json && compact) {
    out.write(`${JSON.stringify(report)}\n`)
    return
  }
  if (json) {
    printJson(report)
    return
  }
  for (const { level, message } of report.logs) out.write(`[${level}] ${message}\n`)
  if (report.ok) out.write(`${report.result}\n`)
  else out.write(`${report.error?.code}: ${report.error?.message}\n`)
  out.write(
    `(${report.stats.durationMs.toFixed(1)} ms, ${report.stats.fetches} fetch${report.stats.fetches === 1 ? '' : 'es'})\n`,
  )
}
