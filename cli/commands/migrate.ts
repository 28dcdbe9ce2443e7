import { exitCodes } from '../exitCodes.js'
import { analyzeMigration, type MigrationReport } from '../migrate/analyzeMigration.js'
import type { Peer } from '../migrate/peerApis.js'
import { readInputFile } from '../readInputFile.js'

export type MigrateOptions = { from: Peer; json?: boolean }

/** `teefn migrate <file> --from <peer>`: prints the migration report; exit 1 when something cannot carry over. */
export async function migrateAction(file: string, options: MigrateOptions): Promise<void> {
  const source = (await readInputFile(file, 'function')).toString('utf8')
  const report = await analyzeMigration({ file, source, from: options.from })
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report))
  process.exitCode = report.unsupported > 0 ? exitCodes.failed : exitCodes.ok
}

const verdictLabels = { carries: 'carries    ', changes: 'changes    ', unsupported: 'unsupported' } as const

function formatReport(report: MigrationReport): string {
  const lines = [`${report.file} runs under --compat ${report.compat}.`, '']
  if (report.uses.length === 0) lines.push(`It uses none of the ${report.from} APIs teefn knows.`)
  else lines.push(`What it uses of ${report.from}:`)
  for (const use of report.uses) {
    const where = use.lines.length === 1 ? `line ${use.lines[0]}` : `lines ${use.lines.join(', ')}`
    lines.push(`  ${verdictLabels[use.verdict]}  ${use.api} (${where}): ${use.note}`)
  }
  lines.push('', `On chain: ${report.onChain}`, `Limits: ${report.limits}`, '', 'Next:')
  for (const command of report.next) lines.push(`  ${command}`)
  if (report.unsupported > 0)
    lines.push('', `${report.unsupported} use(s) cannot carry over: change them as the notes above say.`)
  return `${lines.join('\n')}\n`
}
