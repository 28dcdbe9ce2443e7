import { createHash, timingSafeEqual } from 'node:crypto'
import type { Hex } from '../runtime/bytes.js'
import { ApiError } from './ApiError.js'
import type { ApiKeyMatch } from './apiKeys.js'
import { readFunctionInfo } from './readFunctionInfo.js'
import type { ServerChains, ServerEvmChain } from './ServerContext.js'
import { jobReadMessage, ownerHeader, signatureHeader, timestampHeader } from './uploadMessage.js'
import { type SignatureWindow, verifyOwnerSignature } from './verifyOwnerSignature.js'

/** Who reads a job: anyone (state, timings, a chain job's envelope) or one entitled to it all. */
export type JobAccess =
  | { level: 'public' }
  | { level: 'full'; by: 'api-key' | 'job-token' | 'owner-signature'; owner?: Hex | undefined }

/** The job fields access depends on (`RequestJobData`). */
export type JobReadSubject = {
  jobId: string
  trigger: string
  chainId: string
  functionId: string
  scope?: { family: string; chainId: string; registry: string; functionId: string } | undefined
  readTokenHash?: string | undefined
}

export type AuthorizeJobReadParameters = {
  job: JobReadSubject
  presented: {
    apiKey?: string | undefined
    jobToken?: string | undefined
    owner?: string | undefined
    timestamp?: string | undefined
    signature?: string | undefined
  }
  matchApiKey: (presented: string | undefined) => ApiKeyMatch | undefined
  chains: ServerChains
  /** The node origins a signature may name. */
  origins: readonly string[]
  window: SignatureWindow
  /** Unix seconds; now by default. */
  now?: number | undefined
}

/**
 * Decides how much of a request job a caller sees. Anonymous callers: its state and timings, and a chain job's
 * envelope (public on its chain once delivered). In full (result, logs, why it failed), for one of:
 * - an operator API key (`x-api-key`);
 * - the job token its invocation answered with (`x-teefn-job-token`): HTTP jobs, to the caller who made them;
 * - the function owner's EIP-191 signature of `teefn jobs <jobId> at <unix seconds> to <node origin>`
 *   (the upload headers), the owner read through the chain's RPC quorum: chain jobs, and HTTP jobs that named a
 *   registry function.
 * Credentials that are presented and wrong are refused (401/403), never silently downgraded to the public view.
 */
export async function authorizeJobRead({
  job,
  presented,
  matchApiKey,
  chains,
  origins,
  window,
  now,
}: AuthorizeJobReadParameters): Promise<JobAccess> {
  if (presented.apiKey !== undefined) {
    if (!matchApiKey(presented.apiKey)) {
      throw new ApiError('the API key is not one this server accepts.', { code: 'API_KEY_INVALID' })
    }
    return { level: 'full', by: 'api-key' }
  }
  if (presented.jobToken !== undefined) {
    if (!job.readTokenHash || !sameHash(presented.jobToken, job.readTokenHash)) {
      throw new ApiError(`the job token is not the one job ${job.jobId} was created with.`, {
        code: 'JOB_TOKEN_INVALID',
        hint: 'Send the jobToken its invocation answered with.',
      })
    }
    return { level: 'full', by: 'job-token' }
  }
  const { owner, timestamp, signature } = presented
  if (owner === undefined && timestamp === undefined && signature === undefined) return { level: 'public' }
  if (owner === undefined || timestamp === undefined || signature === undefined) {
    throw new ApiError(
      `a signed job read needs all of ${ownerHeader}, ${timestampHeader} and ${signatureHeader}.`,
      {
        code: 'UNAUTHORIZED',
        hint: `Sign "${jobReadMessage(job.jobId, now ?? Math.floor(Date.now() / 1000), origins[0] ?? '<this node>')}" with the function owner's key (teefn jobs <id> --key <file>).`,
      },
    )
  }
  const signer = verifyOwnerSignature({
    headers: { owner, timestamp, signature },
    messageFor: (time, origin) => jobReadMessage(job.jobId, time, origin),
    origins,
    window,
    now,
  })
  const subject = ownedFunctionOf(job, chains)
  if (!subject) {
    throw new ApiError(
      `job ${job.jobId} runs no registry function whose owner this server reads, so no owner may read it.`,
      {
        code: 'NOT_FUNCTION_OWNER',
        hint: 'Use the job token its invocation answered with, or ask the operator.',
      },
    )
  }
  const { fn } = await readFunctionInfo(subject.chain, subject.functionId)
  if (!fn.owner || fn.owner.toLowerCase() !== signer.toLowerCase()) {
    throw new ApiError(
      `job ${job.jobId} belongs to function ${subject.functionId}, owned by ${fn.owner ?? 'nobody'}; this read is signed by ${signer}.`,
      { code: 'NOT_FUNCTION_OWNER', hint: "Sign with the function owner's key." },
    )
  }
  return { level: 'full', by: 'owner-signature', owner: signer }
}

/** The registry function a job runs, on a chain this server reads: a chain request's, or an HTTP call's scope. */
function ownedFunctionOf(
  job: JobReadSubject,
  chains: ServerChains,
): { chain: ServerEvmChain; functionId: Hex } | undefined {
  const served = chains.evm ?? []
  if (job.trigger === 'evm') {
    const chain = served.find((candidate) => candidate.chainId.toString() === job.chainId)
    return chain ? { chain, functionId: job.functionId as Hex } : undefined
  }
  if (job.trigger === 'http' && job.scope?.family === 'evm') {
    const { scope } = job
    const chain = served.find(
      (candidate) =>
        candidate.chainId.toString() === scope.chainId &&
        candidate.registry.toLowerCase() === scope.registry.toLowerCase(),
    )
    return chain ? { chain, functionId: scope.functionId as Hex } : undefined
  }
  return undefined
}

function sameHash(token: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(token, 'utf8').digest()
  const stored = Buffer.from(storedHash.replace(/^0x/, ''), 'hex')
  return stored.length === presented.length && timingSafeEqual(stored, presented)
}
