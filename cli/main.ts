import { Command, CommanderError } from 'commander'
import { BaseError } from '../runtime/errors/BaseError.js'
import { attestCommand } from './definitions/attest.js'
import { buildCommand } from './definitions/build.js'
import { chainCommand } from './definitions/chain.js'
import { demoCommand } from './definitions/demo.js'
import { deployCommand } from './definitions/deploy.js'
import { initCommand } from './definitions/init.js'
import { invokeCommand } from './definitions/invoke.js'
import { jobsCommand } from './definitions/jobs.js'
import { migrateCommand } from './definitions/migrate.js'
import { nodeCommand } from './definitions/node.js'
import { runCommand } from './definitions/run.js'
import { secretsCommand } from './definitions/secrets.js'
import { settingsCommand } from './definitions/settings.js'
import { verifyCommand } from './definitions/verify.js'
import { exitCodes } from './exitCodes.js'
import { packageVersion } from './packageVersion.js'
import { UsageError } from './UsageError.js'

// Only commander and the command definitions load here: each command imports its implementation when it
// runs (cli/definitions/lazyAction.ts), so `--help` and every command start without the others' modules.
const program = new Command('teefn')
  .description('Build, run, verify and deploy teefn functions.')
  .version(packageVersion())
  // Program options only before the command: `teefn secrets put --version 2` is the secrets' version.
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')

const commands: Command[] = [
  initCommand(),
  buildCommand(),
  runCommand(),
  migrateCommand(),
  deployCommand(),
  invokeCommand(),
  jobsCommand(),
  verifyCommand(),
  secretsCommand(),
  settingsCommand(),
  attestCommand(),
  chainCommand(),
  nodeCommand(),
  demoCommand(),
]

for (const command of commands) program.addCommand(command)
applyExitOverride(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  process.exitCode = exitCodeFor(error)
}

function applyExitOverride(command: Command): void {
  command.exitOverride()
  for (const sub of command.commands) applyExitOverride(sub)
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and version end with exit code 0.
    return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage
  }
  if (error instanceof UsageError) {
    process.stderr.write(`teefn: ${error.shortMessage}${error.hint ? ` (${error.hint})` : ''}\n`)
    return exitCodes.usage
  }
  const message = error instanceof BaseError ? error.message : String((error as Error)?.message ?? error)
  process.stderr.write(`teefn: ${message}\n`)
  return exitCodes.failed
}
