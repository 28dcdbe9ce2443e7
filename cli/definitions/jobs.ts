import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn jobs <id>`: a request job's state, timings, logs and envelope, as the server shows it. */
export function jobsCommand(): Command {
  return new Command('jobs')
    .description('Show a request job: state, timings, logs, result and signed envelope.')
    .argument('<id>', 'the job id (teefn invoke --async prints it)')
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option('--envelope', 'print only the envelope JSON (for teefn verify -); exit 1 while there is none')
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/jobs.js')).jobsAction))
}
