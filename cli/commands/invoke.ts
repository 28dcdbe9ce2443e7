import { bytesToHex, utf8 } from '../../runtime/bytes.js'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { payloadHashOf } from '../../runtime/enclave/envelope.js'
import { parseWorkerIdentity, verifyEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { LogEntry } from '../../runtime/sandbox/types.js'
import { type PresentedOutcome, printableText } from '../../server/presentOutcome.js'
import { describeAttestation } from '../attestation/reportAttestation.js'
import { resolveTrustPolicy, type TrustOptions } from '../attestation/trustOptions.js'
import { trustWorker } from '../attestation/trustWorker.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { callApi, resolveServerUrl } from './apiClient.js'
import { createProgress } from './progress.js'

type InvokeOptions = TrustOptions & {
  server?: string
  request?: string
  requestFile?: string
  functionId?: string
  chainId?: string
  async?: boolean
  wait?: number
  timeout?: number
  worker?: string
  json?: boolean
}

type Accepted = {
  jobId: string
  jobToken: string
  requestId: string
  status: 'queued' | 'pending'
  message: string
}
type Completed = PresentedOutcome & { jobId: string; jobToken: string; requestId: `0x${string}` }

const zeroAddress = `0x${'00'.repeat(20)}`
const zeroBytes32 = `0x${'00'.repeat(32)}`

/**
 * `teefn invoke <codeHash>`: checks the server's worker attestation (or takes the key `--worker` pins), calls
 * the function through the server, and prints the result only once the envelope verifies: signed by the
 * attested key, for this request, payload, function and code. Exit 0 for a verified OK result (or a queued job
 * with --async), 1 for a refused attestation, a failed function, an envelope that does not verify, or no
 * result within the wait.
 */
export async function invokeAction(codeHash: string, options: InvokeOptions): Promise<void> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(codeHash)) {
    throw new UsageError(
      `${codeHash.slice(0, 80)} is not a codeHash`,
      'pass the 0x + 64 hex digits teefn deploy printed',
    )
  }
  if (options.request !== undefined && options.requestFile !== undefined) {
    throw new UsageError('--request and --request-file cannot be used together', 'pass one of them')
  }
  if (options.functionId !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(options.functionId)) {
    throw new UsageError('--function-id must be bytes32 (0x + 64 hex digits)')
  }
  if (options.chainId !== undefined) {
    if (options.functionId === undefined) throw new UsageError('--chain-id needs --function-id')
    if (!/^[1-9][0-9]{0,77}$/.test(options.chainId)) {
      throw new UsageError('--chain-id must be a decimal EVM chain id')
    }
  }
  if (options.worker !== undefined) {
    try {
      parseWorkerIdentity('evm', options.worker)
    } catch {
      throw new UsageError('--worker must be an evm address or a secp256k1 public key')
    }
  }
  const server = resolveServerUrl(options.server)
  const policy = await resolveTrustPolicy(options)
  const progress = createProgress(options)
  const request =
    options.requestFile !== undefined
      ? (await readInputFile(options.requestFile, 'request')).toString('utf8')
      : (options.request ?? '')

  // The worker is checked before it gets the request: an untrusted one sees nothing.
  let attested: Awaited<ReturnType<typeof trustWorker>>
  if (options.worker === undefined) {
    progress("verifying the worker's attestation from /v1/attestation")
    attested = await trustWorker({ source: server, policy, json: options.json })
    if (!attested) return
  }
  const worker = options.worker ?? attested!.publicKeys.evmAddress

  progress(options.async ? `queueing ${codeHash}` : `invoking ${codeHash} and waiting for the signed result`)
  const waitMs = options.wait
  const { status, body } = await callApi<Accepted | Completed>({
    server,
    method: 'POST',
    path: `/v1/functions/${codeHash}/invoke`,
    json: {
      request,
      ...(options.functionId !== undefined ? { functionId: options.functionId } : {}),
      ...(options.chainId !== undefined ? { chainId: options.chainId } : {}),
      ...(options.async ? { async: true } : {}),
      ...(waitMs !== undefined ? { waitMs } : {}),
      ...(options.timeout !== undefined ? { limits: { timeoutMs: options.timeout } } : {}),
    },
    timeoutMs: (waitMs ?? 120_000) + 30_000,
  })

  if (status === 202) {
    const accepted = body as Accepted
    // The job token is this caller's capability to read the result back: printed once, to this caller only.
    if (options.json)
      printJson({
        jobId: accepted.jobId,
        jobToken: accepted.jobToken,
        requestId: accepted.requestId,
        status: accepted.status,
      })
    else {
      process.stdout.write(
        `${accepted.status === 'queued' ? 'queued' : 'still running'}: job ${accepted.jobId}\nfollow it: teefn jobs ${accepted.jobId} --token ${accepted.jobToken}${options.server ? ` --server ${server}` : ''}\n`,
      )
    }
    if (accepted.status === 'pending') process.exitCode = exitCodes.failed
    return
  }

  const completed = body as Completed
  let verified: Awaited<ReturnType<typeof verifyEnvelope>>
  try {
    verified = await verifyEnvelope(completed.envelope, {
      worker,
      chainId: 0,
      destination: zeroAddress,
      requestId: completed.requestId,
      functionId: options.functionId ?? zeroBytes32,
      payloadHash: payloadHashOf(utf8(request)),
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
  const attestation = attested ? describeAttestation(attested) : undefined
  if (options.json) {
    printJson({
      jobId: completed.jobId,
      requestId: completed.requestId,
      status: verified.envelope.status,
      result,
      resultHex: verified.envelope.result,
      verified: true,
      signer: verified.signer,
      trust: attestation ? 'attestation' : 'worker',
      provider: attested?.kind ?? null,
      attestation: attestation?.json ?? null,
      envelope: verified.envelope,
      logs: completed.logs,
      stats: completed.stats,
    })
  } else {
    printReadably({
      completed,
      result,
      ok,
      signer: verified.signer,
      trust: attestation?.phrase ?? 'the key --worker pins',
    })
  }
  process.exitCode = ok ? exitCodes.ok : exitCodes.failed
}

function printReadably(parameters: {
  completed: Completed
  result: string
  ok: boolean
  signer: string
  trust: string
}): void {
  const { completed, result, ok, signer, trust } = parameters
  const out = process.stdout
  for (const { level, message } of completed.logs as LogEntry[]) out.write(`[${level}] ${message}\n`)
  out.write(ok ? `${result}\n` : `${completed.status}: ${result}\n`)
  out.write(
    `(${completed.stats.durationMs.toFixed(1)} ms, ${completed.stats.fetches} fetch${completed.stats.fetches === 1 ? '' : 'es'}; job ${completed.jobId})\n`,
  )
  out.write(`verified: envelope signed by worker ${signer} (${trust})\n`)
}

function displayResult(bytes: Uint8Array): string {
  return printableText(bytes) ?? bytesToHex(bytes)
}
