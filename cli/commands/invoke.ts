import { Command, InvalidArgumentError } from 'commander'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { parseWorkerIdentity, verifyEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { LogEntry } from '../../runtime/sandbox/types.js'
import { type PresentedOutcome, printableText } from '../../server/presentOutcome.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { callApi, resolveServerUrl } from './apiClient.js'
import { createProgress } from './progress.js'

type InvokeOptions = {
  server?: string
  request?: string
  requestFile?: string
  async?: boolean
  wait?: number
  timeout?: number
  worker?: string
  json?: boolean
}

type Accepted = { jobId: string; requestId: string; status: 'queued' | 'pending'; message: string }
type Completed = PresentedOutcome & { jobId: string; requestId: `0x${string}` }
type Attestation = { provider: 'dstack' | 'dev'; publicKeys: { evmAddress: string } }

const zeroAddress = `0x${'00'.repeat(20)}`

/**
 * `teefn invoke <codeHash>`: calls a function through the server, verifies the signed envelope against the
 * worker's key, and prints the result. Exit 0 for a verified OK result (or a queued job with --async), 1 for
 * a failed function, an envelope that does not verify, or no result within the wait.
 */
export function invokeCommand(): Command {
  return new Command('invoke')
    .description("Invoke an uploaded function through a teefn server and verify the worker's signed result.")
    .argument('<codeHash>', 'the function (bytes32 codeHash, as teefn deploy printed it)')
    .option('--request <string>', 'the request string passed to main (default: empty)')
    .option('--request-file <path>', 'read the request string from a file (- for stdin)')
    .option('--async', 'queue the call and print the job id at once (follow it with teefn jobs <id>)')
    .option(
      '--wait <ms>',
      'how long the server waits for the result; when it ends first the job id is printed and the exit status is 1',
      positiveInteger,
    )
    .option('--timeout <ms>', "the function's wall-clock deadline (default 10000)", positiveInteger)
    .option(
      '--worker <address>',
      "the worker that must have signed the envelope (default: the server's /v1/attestation keys)",
    )
    .option('--server <url>', 'the teefn server (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option('--json', 'print one JSON object')
    .action(async (codeHash: string, options: InvokeOptions) => {
      if (!/^0x[0-9a-fA-F]{64}$/.test(codeHash)) {
        throw new UsageError(
          `${codeHash.slice(0, 80)} is not a codeHash`,
          'pass the 0x + 64 hex digits teefn deploy printed',
        )
      }
      if (options.request !== undefined && options.requestFile !== undefined) {
        throw new UsageError('--request and --request-file cannot be used together', 'pass one of them')
      }
      if (options.worker !== undefined) {
        try {
          parseWorkerIdentity('evm', options.worker)
        } catch {
          throw new UsageError('--worker must be an evm address or a secp256k1 public key')
        }
      }
      const server = resolveServerUrl(options.server)
      const progress = createProgress(options)
      const request =
        options.requestFile !== undefined
          ? (await readInputFile(options.requestFile, 'request')).toString('utf8')
          : (options.request ?? '')

      progress(
        options.async ? `queueing ${codeHash}` : `invoking ${codeHash} and waiting for the signed result`,
      )
      const waitMs = options.wait
      const { status, body } = await callApi<Accepted | Completed>({
        server,
        method: 'POST',
        path: `/v1/functions/${codeHash}/invoke`,
        json: {
          request,
          ...(options.async ? { async: true } : {}),
          ...(waitMs !== undefined ? { waitMs } : {}),
          ...(options.timeout !== undefined ? { limits: { timeoutMs: options.timeout } } : {}),
        },
        timeoutMs: (waitMs ?? 120_000) + 30_000,
      })

      if (status === 202) {
        const accepted = body as Accepted
        if (options.json)
          printJson({ jobId: accepted.jobId, requestId: accepted.requestId, status: accepted.status })
        else {
          process.stdout.write(
            `${accepted.status === 'queued' ? 'queued' : 'still running'}: job ${accepted.jobId}\nfollow it: teefn jobs ${accepted.jobId}${options.server ? ` --server ${server}` : ''}\n`,
          )
        }
        if (accepted.status === 'pending') process.exitCode = exitCodes.failed
        return
      }

      const completed = body as Completed
      let worker = options.worker
      let provider: string | undefined
      if (worker === undefined) {
        progress('fetching the worker keys from /v1/attestation')
        const attestation = (await callApi<Attestation>({ server, path: '/v1/attestation' })).body
        worker = attestation.publicKeys.evmAddress
        provider = attestation.provider
      }
      let verified: Awaited<ReturnType<typeof verifyEnvelope>>
      try {
        verified = await verifyEnvelope(completed.envelope, {
          worker,
          chainId: 0,
          destination: zeroAddress,
          requestId: completed.requestId,
          codeHash,
        })
      } catch (error) {
        if (!(error instanceof EnvelopeError)) throw error
        if (options.json) {
          printJson({
            jobId: completed.jobId,
            verified: false,
            reason: error.reason,
            message: error.shortMessage,
            details: error.details ?? null,
          })
        } else {
          process.stdout.write(
            `envelope rejected: ${error.reason}: ${error.shortMessage}${error.details ? ` (${error.details})` : ''}\n`,
          )
        }
        process.exitCode = exitCodes.failed
        return
      }
      // Only signed bytes are shown: the result comes from the verified envelope, not the server's text.
      const result = displayResult(verified.result)
      const ok = verified.envelope.status === 'OK'
      if (options.json) {
        printJson({
          jobId: completed.jobId,
          requestId: completed.requestId,
          status: verified.envelope.status,
          result,
          resultHex: verified.envelope.result,
          verified: true,
          signer: verified.signer,
          provider: provider ?? null,
          envelope: verified.envelope,
          logs: completed.logs,
          stats: completed.stats,
        })
      } else {
        printReadably({ completed, result, ok, signer: verified.signer, provider })
      }
      process.exitCode = ok ? exitCodes.ok : exitCodes.failed
    })
}

function printReadably(parameters: {
  completed: Completed
  result: string
  ok: boolean
  signer: string
  provider: string | undefined
}): void {
  const { completed, result, ok, signer, provider } = parameters
  const out = process.stdout
  for (const { level, message } of completed.logs as LogEntry[]) out.write(`[${level}] ${message}\n`)
  out.write(ok ? `${result}\n` : `${completed.status}: ${result}\n`)
  out.write(
    `(${completed.stats.durationMs.toFixed(1)} ms, ${completed.stats.fetches} fetch${completed.stats.fetches === 1 ? '' : 'es'}; job ${completed.jobId})\n`,
  )
  const warning = provider === 'dev' ? ' (dev attestation: not a TEE)' : ''
  out.write(`verified: envelope signed by worker ${signer}${warning}\n`)
}

function displayResult(bytes: Uint8Array): string {
  return printableText(bytes) ?? `0x${Buffer.from(bytes).toString('hex')}`
}

function positiveInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number')
  return parsed
}
