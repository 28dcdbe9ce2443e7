import { Command, CommanderError } from 'commander'
import { BaseError } from '../runtime/errors/BaseError.js'
import { attestCommand } from './commands/attest.js'
import { buildCommand } from './commands/build.js'
import { demoCommand } from './commands/demo.js'
import { deployCommand } from './commands/deploy.js'
import { invokeCommand } from './commands/invoke.js'
import { jobsCommand } from './commands/jobs.js'
import { nodeCommand } from './commands/node.js'
import { runCommand } from './commands/run.js'
import { secretsCommand } from './commands/secrets.js'
import { settingsCommand } from './commands/settings.js'
import { verifyCommand } from './commands/verify.js'
import { exitCodes } from './exitCodes.js'
import { UsageError } from './UsageError.js'

const program = new Command('teefn')
  .description('Build, run, verify and deploy teefn functions.')
  .showHelpAfterError('(run with --help for usage)')

const commands: Command[] = [
  buildCommand(),
  runCommand(),
  deployCommand(),
  invokeCommand(),
  jobsCommand(),
  verifyCommand(),
  secretsCommand(),
  settingsCommand(),
  attestCommand(),
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
