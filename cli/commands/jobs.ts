import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { DeliveryView } from '../../runtime/queue/createDeliveryReader.js'
import { apiKeyHeader } from '../../server/apiKeys.js'
import type { PresentedOutcome } from '../../server/presentOutcome.js'
import {
  jobReadMessage,
  jobTokenHeader,
  nodeOrigin,
  ownerHeader,
  signatureHeader,
  timestampHeader,
} from '../../server/uploadMessage.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { callApi, resolveServerUrl } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'

type JobsOptions = {
  server?: string
  json?: boolean
  envelope?: boolean
  token?: string
  key?: string
  privateKeyEnv?: string
  apiKey?: string
  function?: string
  state?: string
  limit?: string
}

type JobDetails = {
  jobId: string
  state: string
  access: 'public' | 'full'
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
  envelope?: Envelope
  outcome?: PresentedOutcome
  failedReason?: string
  delivery?: DeliveryView
}

/**
 * `teefn jobs <id>`: a request job as the server shows it: its state and timings to anyone; its result, logs and
 * envelope with the job token of its invocation (`--token`), the function owner's signature (`--key`) or an
 * operator API key (`--api-key`).
 */
export async function jobsAction(id: string, options: JobsOptions): Promise<void> {
  if (id === 'list') return listJobs(options)
  if (!/^[a-z0-9x-]{1,700}$/.test(id)) throw new UsageError(`${id.slice(0, 80)} is not a job id`)
  const server = resolveServerUrl(options.server)
  const headers = await credentialHeaders(id, server, options)
  const { body: job } = await callApi<JobDetails>({ server, path: `/v1/jobs/${id}`, headers })
  const envelope = job.envelope ?? job.outcome?.envelope
  if (options.envelope) {
    if (envelope) printJson(envelope satisfies Envelope)
    else {
      const why =
        job.access === 'public' && job.trigger === 'http' && job.state === 'completed'
          ? 'the server shows it only with the job token (--token)'
          : `state ${job.state}`
      process.stderr.write(`teefn: job ${id} has no envelope here (${why})\n`)
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
  if (job.delivery) out.write(`  delivery ${describeDelivery(job.delivery)}\n`)
  if (job.access === 'public' && (job.state === 'completed' || job.state === 'failed')) {
    out.write('  (result, logs and failure need --token, --key or --api-key)\n')
  }
  if (!job.outcome && job.envelope) out.write(`envelope:\n${JSON.stringify(job.envelope, null, 2)}\n`)
  if (job.outcome) {
    const { outcome } = job
    out.write(`  status ${outcome.status}, result ${outcome.result}\n`)
    for (const { level, message } of outcome.logs) out.write(`  [${level}] ${message}\n`)
    if (outcome.logsTruncated) out.write('  (logs truncated)\n')
    out.write(`envelope:\n${JSON.stringify(outcome.envelope, null, 2)}\n`)
  }
}

/** At most one kind of credential: the job token, the owner's signature of this read, or an API key. */
async function credentialHeaders(
  id: string,
  server: string,
  options: JobsOptions,
): Promise<Record<string, string>> {
  const signed = options.key !== undefined || options.privateKeyEnv !== undefined
  const given = [options.token !== undefined, signed, options.apiKey !== undefined].filter(Boolean).length
  if (given > 1) throw new UsageError('pass one of --token, --key (or --private-key-env) and --api-key')
  if (signed) {
    const owner = await readOwnerKey({ key: options.key, privateKeyEnv: options.privateKeyEnv })
    const timestamp = Math.floor(Date.now() / 1000)
    return {
      [ownerHeader]: owner.address,
      [timestampHeader]: String(timestamp),
      [signatureHeader]: await owner.signMessage(jobReadMessage(id, timestamp, nodeOrigin(server))),
    }
  }
  if (options.apiKey !== undefined) return { [apiKeyHeader]: options.apiKey }
  const token = options.token ?? process.env.TEEFN_JOB_TOKEN
  if (token) return { [jobTokenHeader]: token }
  const apiKey = process.env.TEEFN_API_KEY
  return apiKey ? { [apiKeyHeader]: apiKey } : {}
}

/** `delivered in 0xabc... (block 12)`, `refused: ...`, `queued`, as one line. */
export function describeDelivery(delivery: DeliveryView): string {
  const where = [
    delivery.transactionHash ? `tx ${delivery.transactionHash}` : undefined,
    delivery.blockNumber !== undefined ? `block ${delivery.blockNumber}` : undefined,
    delivery.blockHash ? `block ${delivery.blockHash}` : undefined,
  ].filter(Boolean)
  const state = delivery.state.replace('_', ' ')
  const attempts = delivery.attempts > 1 ? `, ${delivery.attempts} attempts` : ''
  const run = delivery.run !== undefined ? ` (run ${delivery.run} queued)` : ''
  return `${state}${where.length > 0 ? ` (${where.join(', ')})` : ''}${delivery.reason ? `: ${delivery.reason}` : ''}${run}${attempts}`
}

type ListedJob = {
  jobId: string
  shortId: string
  state: string
  trigger: string
  chainId: string
  functionId: string
  codeHash?: string
  queuedAt: number
  finishedAt?: number
}

/** `teefn jobs list`: one line per job, newest first (`--json`: the server's answer). */
async function listJobs(options: JobsOptions): Promise<void> {
  const server = resolveServerUrl(options.server)
  const query = new URLSearchParams()
  if (options.function !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(options.function)) {
      throw new UsageError(
        `--function ${options.function.slice(0, 80)} is not a 32-byte 0x-hex id`,
        'Give a functionId or a codeHash.',
      )
    }
    query.set('function', options.function)
  }
  if (options.state !== undefined) query.set('state', options.state)
  if (options.limit !== undefined) query.set('limit', options.limit)
  const apiKey = options.apiKey ?? process.env.TEEFN_API_KEY
  const { body } = await callApi<{ jobs: ListedJob[] }>({
    server,
    path: `/v1/jobs${query.size > 0 ? `?${query}` : ''}`,
    headers: apiKey ? { [apiKeyHeader]: apiKey } : {},
  })
  if (options.json) {
    printJson(body)
    return
  }
  if (body.jobs.length === 0) {
    process.stdout.write('no jobs\n')
    return
  }
  for (const job of body.jobs) {
    const queued = new Date(job.queuedAt).toISOString().replace('T', ' ').slice(0, 19)
    const ran = job.finishedAt !== undefined ? ` ${job.finishedAt - job.queuedAt} ms` : ''
    process.stdout.write(
      `${job.shortId.padEnd(22)} ${job.state.padEnd(10)} ${queued}${ran}  function ${job.functionId.slice(0, 12)}...\n`,
    )
  }
}
