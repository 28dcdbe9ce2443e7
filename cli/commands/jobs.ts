import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { PresentedOutcome } from '../../server/presentOutcome.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { callApi, resolveServerUrl } from './apiClient.js'

type JobsOptions = { server?: string; json?: boolean; envelope?: boolean }

type JobDetails = {
  jobId: string
  state: string
  trigger: string
  chainId: string
  requestId: string
  functionId: string
  codeHash?: string
  attempts: number
  timings: {
    seenAt: number
    queuedAt: number
    startedAt?: number
    finishedAt?: number
    queuedMs?: number
    runMs?: number
  }
  outcome?: PresentedOutcome
  failedReason?: string
}

/** `teefn jobs <id>`: a request job's state, timings, logs and envelope, as the server shows it. */
export async function jobsAction(id: string, options: JobsOptions): Promise<void> {
  if (!/^[a-z0-9x-]{1,700}$/.test(id)) throw new UsageError(`${id.slice(0, 80)} is not a job id`)
  const server = resolveServerUrl(options.server)
  const { body: job } = await callApi<JobDetails>({ server, path: `/v1/jobs/${id}` })
  if (options.envelope) {
    if (job.outcome) printJson(job.outcome.envelope satisfies Envelope)
    else {
      process.stderr.write(`teefn: job ${id} has no envelope yet (state ${job.state})\n`)
      process.exitCode = exitCodes.failed
    }
    return
  }
  if (options.json) {
    printJson(job)
    return
  }
  const out = process.stdout
  const { timings } = job
  out.write(`job ${job.jobId}\n`)
  out.write(`  state ${job.state}, attempts ${job.attempts}\n`)
  out.write(
    `  trigger ${job.trigger}${job.trigger === 'http' ? '' : ` (chain ${job.chainId})`}, request ${job.requestId}\n`,
  )
  if (job.codeHash) out.write(`  code ${job.codeHash}\n`)
  out.write(
    `  queued ${new Date(timings.queuedAt).toISOString()}${timings.queuedMs !== undefined ? `, started after ${timings.queuedMs} ms` : ''}${timings.runMs !== undefined ? `, ran ${timings.runMs} ms` : ''}\n`,
  )
  if (job.failedReason) out.write(`  failed: ${job.failedReason}\n`)
  if (job.outcome) {
    const { outcome } = job
    out.write(`  status ${outcome.status}, result ${outcome.result}\n`)
    for (const { level, message } of outcome.logs) out.write(`  [${level}] ${message}\n`)
    if (outcome.logsTruncated) out.write('  (logs truncated)\n')
    out.write(`envelope:\n${JSON.stringify(outcome.envelope, null, 2)}\n`)
  }
}
