import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'

/**
 * `teefn jobs <id>`: a request job's state and timings; its result, logs and envelope to those entitled.
 * `teefn jobs list`: the latest jobs, newest first.
 */
export function jobsCommand(): Command {
  return new Command('jobs')
    .description(
      'Show a request job: state and timings; with its job token, the owner key or an API key also its result, logs and signed envelope.',
    )
    .argument('<id>', 'the job id (teefn invoke --async prints it), or list: the latest jobs, newest first')
    .option('--function <id>', 'list: only jobs of this functionId or codeHash')
    .option(
      '--state <state>',
      'list: only jobs in this state (waiting, active, delayed, completed, failed, ...)',
    )
    .option('--limit <n>', 'list: at most this many (1-100, default 20)')
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option(
      '--token <token>',
      'the job token the invocation answered with (teefn invoke --async prints it; default: TEEFN_JOB_TOKEN)',
    )
    .option(
      '--key <file>',
      "a file holding the function owner's private key: signs the read (chain jobs, and HTTP jobs that named a functionId)",
    )
    .option('--private-key-env <NAME>', "an environment variable holding the owner's private key")
    .option('--api-key <key>', 'an operator API key (default: TEEFN_API_KEY)')
    .option('--envelope', 'print only the envelope JSON (for teefn verify -); exit 1 while there is none')
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/jobs.js')).jobsAction))
}
