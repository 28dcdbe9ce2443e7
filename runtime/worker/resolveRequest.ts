import { keccak_256 } from '@noble/hashes/sha3.js'
import { decodeAddress, encodeAddress } from '@polkadot/util-crypto'
import { bytesToHex, type Hex, utf8 } from '../bytes.js'
import { ChainReadError } from '../chain/ChainReadError.js'
import type { EvmChainReader } from '../chain/evm/createEvmChainReader.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import { recoverSettingsSigner } from '../enclave/ownerRecords.js'
import type { RequestJobData } from '../queue/jobs.js'
import type { InvocationErrorCode } from '../resultStatus.js'
import type { SandboxLimits } from '../sandbox/limits.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { FunctionStoreError } from '../store/FunctionStoreError.js'
import type { WorkerChains } from './WorkerChains.js'
import { WorkerRefusalError, WorkerRetryError } from './WorkerRetryError.js'

/** A request as the worker will answer it: everything read from the chain (or, for HTTP, from the caller). */
export type ResolvedRequest = {
  trigger: RequestJobData['trigger']
  /** The envelope's family, chain id and destination. */
  family: 'evm' | 'substrate'
  chainId: string
  destination: Hex
  requestId: Hex
  functionId: Hex
  /** What `main` receives: the payload as 0x-hex for chain requests, the caller's text for HTTP. */
  payload: string
  /** keccak256 of the payload bytes, signed into the envelope. */
  payloadHash: Hex
  sender: string | undefined
  /** The code to run; with `failure` the invocation is not run and the failure is signed. */
  codeHash: Hex
  failure?: { status: InvocationErrorCode; message: string } | undefined
  /** The function's scope: its `deriveSecret` key and secrets live there. Undefined: neither. */
  scope: FunctionScope | undefined
  /** The on-chain owner whose signature the function's secrets need (EVM only). */
  owner: Hex | undefined
  /** Whether the function gets its secrets and key (HTTP calls only when the owner opted in). */
  privileged: boolean
  limits: Partial<SandboxLimits> | undefined
  /** EVM: the result policy the consumer applies (k and aggregation), read with the request. */
  policy?: { threshold: number; aggregation: number } | undefined
  /** Fields of the job that the chain contradicts: the job was stale or forged; the chain's version is answered. */
  disagreements: string[]
}

export type ResolveRequestParameters = {
  chains: WorkerChains
  store: Pick<FunctionStore, 'getSettings'>
  /** This worker's EVM address: its admission is read with every EVM request. */
  worker: Hex
}

const zeroBytes32 = `0x${'00'.repeat(32)}` as Hex
const zeroAddress = `0x${'00'.repeat(20)}` as Hex

/**
 * What the worker will answer for a job. Chain jobs are only hints: the request, its function's code and owner,
 * and the worker's own admission are read through the chain's RPC quorum at the confirmed head, and the job's
 * fields count for nothing. Throws `ChainReadError` (retryable or final), `WorkerRetryError` or
 * `WorkerRefusalError`; in every one of those cases nothing is signed.
 */
export async function resolveRequest(
  job: RequestJobData,
  parameters: ResolveRequestParameters,
): Promise<ResolvedRequest> {
  if (job.trigger === 'evm') return resolveEvmRequest(job, parameters)
  if (job.trigger === 'substrate') return resolveSubstrateRequest(job, parameters)
  return resolveHttpRequest(job, parameters)
}

async function resolveEvmRequest(
  job: RequestJobData,
  { chains, worker }: ResolveRequestParameters,
): Promise<ResolvedRequest> {
  const reader = evmReaderFor(chains, job.chainId)
  const reading = await reader.readRequest(
    {
      consumer: job.destination,
      requestId: job.requestId,
      functionId: job.functionId,
      blockNumber: job.origin?.blockNumber,
    },
    { worker },
  )
  if (!reading.workerActive) {
    throw new WorkerRetryError('This worker is not admitted in the registry.', {
      code: 'WORKER_NOT_ADMITTED',
      details: `Worker ${worker} is not active in registry ${reader.registry} on chain ${reader.chainId} at block ${reading.at.number}.`,
      hint: 'Admit (or re-admit) the worker; the job waits until then or its retry horizon.',
    })
  }
  const { request, fn } = reading
  const scope: FunctionScope = {
    family: 'evm',
    chainId: reader.chainId.toString(),
    registry: reader.registry.toLowerCase() as Hex,
    functionId: request.functionId,
  }
  return {
    trigger: 'evm',
    family: 'evm',
    chainId: reader.chainId.toString(),
    destination: request.consumer,
    requestId: request.requestId,
    functionId: request.functionId,
    payload: request.payload,
    payloadHash: request.payloadHash,
    sender: request.requester,
    codeHash: fn.codeHash ?? zeroBytes32,
    failure: fn.codeHash
      ? undefined
      : { status: 'FUNCTION_NOT_FOUND', message: `no code is registered for function ${request.functionId}` },
    scope,
    owner: fn.owner,
    privileged: true,
    limits: undefined,
    policy: reading.policy,
    disagreements: disagreements(job, {
      functionId: request.functionId,
      request: request.payload,
      sender: request.requester,
    }),
  }
}

async function resolveSubstrateRequest(
  job: RequestJobData,
  { chains }: ResolveRequestParameters,
): Promise<ResolvedRequest> {
  const chain = chains.substrate?.find(
    ({ genesisHash }) => genesisHash.toLowerCase() === job.chainId.toLowerCase(),
  )
  if (!chain) throw notServed(job)
  const blockHash = job.origin?.blockHash as Hex | undefined
  const extrinsicIndex = job.origin?.index
  if (!blockHash || extrinsicIndex === undefined) {
    throw new ChainReadError('The Substrate job does not say where its request is.', {
      code: 'REQUEST_NOT_ON_CHAIN',
      details: `Request ${job.requestId} has no origin block hash or extrinsic index.`,
    })
  }
  const { request } = await chain.reader.readRequest({ blockHash, extrinsicIndex, requestId: job.requestId })
  const codeHash = await chain.functions.codeHashOf({ chainId: job.chainId, functionId: request.functionId })
  const sender = substrateSender(job.sender, request.origin)
  return {
    trigger: 'substrate',
    family: 'substrate',
    chainId: chain.genesisHash.toLowerCase(),
    destination: request.origin,
    requestId: request.requestId,
    functionId: request.functionId,
    payload: request.payload,
    payloadHash: request.payloadHash,
    sender,
    codeHash: codeHash ?? zeroBytes32,
    failure: codeHash
      ? undefined
      : { status: 'FUNCTION_NOT_FOUND', message: `no code is pinned for function ${request.functionId}` },
    // No registry contract: the function key is scoped to the chain; there is no owner, hence no secrets.
    scope: {
      family: 'substrate',
      chainId: chain.genesisHash.toLowerCase(),
      registry: '0x',
      functionId: request.functionId,
    },
    owner: undefined,
    privileged: true,
    limits: undefined,
    disagreements: [
      ...disagreements(job, { functionId: request.functionId, request: request.payload }),
      ...(job.sender !== undefined && job.sender !== sender ? ['sender'] : []),
    ],
  }
}

/**
 * Who asked a Substrate request, as the function sees it: the origin read from the chain. The job's SS58 form
 * (the relayer writes it with the chain's own prefix) is kept only when it encodes that very account; otherwise
 * the origin is encoded with the generic prefix.
 */
function substrateSender(claimed: string | undefined, origin: Hex): string {
  if (claimed !== undefined) {
    try {
      if (bytesToHex(decodeAddress(claimed)) === origin.toLowerCase()) return claimed
    } catch {
      // Not an address: the chain's origin is used.
    }
  }
  return encodeAddress(origin)
}

async function resolveHttpRequest(
  job: RequestJobData,
  { chains, store }: ResolveRequestParameters,
): Promise<ResolvedRequest> {
  const anonymous = job.functionId === zeroBytes32 || !job.functionId
  const base: ResolvedRequest = {
    trigger: 'http',
    family: 'evm',
    chainId: '0',
    destination: zeroAddress,
    requestId: job.requestId,
    functionId: anonymous ? zeroBytes32 : job.functionId,
    payload: job.request,
    payloadHash: bytesToHex(keccak_256(utf8(job.request))),
    sender: undefined,
    codeHash: job.codeHash ?? zeroBytes32,
    scope: undefined,
    owner: undefined,
    privileged: false,
    limits: job.limits,
    disagreements: [],
  }
  if (!job.codeHash)
    return {
      ...base,
      failure: { status: 'FUNCTION_NOT_FOUND', message: 'the HTTP request names no codeHash' },
    }
  if (anonymous) return base
  const scope = job.scope
  if (scope?.family !== 'evm' || scope.functionId.toLowerCase() !== job.functionId.toLowerCase()) {
    return {
      ...base,
      failure: {
        status: 'FUNCTION_NOT_FOUND',
        message: `function ${job.functionId} is named without its registry scope`,
      },
    }
  }
  const reader = evmReaderFor(chains, scope.chainId)
  if (reader.registry.toLowerCase() !== scope.registry.toLowerCase()) throw notServed(job)
  const { fn } = await reader.readFunction(job.functionId)
  if (!fn.codeHash) {
    return {
      ...base,
      failure: { status: 'FUNCTION_NOT_FOUND', message: `function ${job.functionId} is not registered` },
    }
  }
  if (fn.codeHash !== job.codeHash.toLowerCase()) {
    return {
      ...base,
      failure: {
        status: 'CODE_HASH_MISMATCH',
        message: `function ${job.functionId} runs codeHash ${fn.codeHash}, not ${job.codeHash}`,
      },
    }
  }
  // An HTTP caller chooses the input: the owner decides whether such runs may use the function's secrets and key.
  const settings = await readSettings(store, scope)
  const optedIn =
    settings !== undefined &&
    fn.owner !== undefined &&
    recoverSettingsSigner(settings) === fn.owner.toLowerCase() &&
    settings.httpSecrets
  return { ...base, scope, owner: fn.owner, privileged: optedIn }
}

/** The scope's settings; a record written around the store (unreadable, another scope's) counts as none. */
async function readSettings(store: Pick<FunctionStore, 'getSettings'>, scope: FunctionScope) {
  try {
    return await store.getSettings(scope)
  } catch (error) {
    if (error instanceof FunctionStoreError && error.code === 'STORED_RECORD_INVALID') return undefined
    throw error
  }
}

function evmReaderFor(chains: WorkerChains, chainId: string): EvmChainReader {
  const reader = chains.evm?.find((candidate) => candidate.chainId.toString() === chainId)
  if (!reader) {
    throw new WorkerRefusalError(`This worker does not serve EVM chain ${chainId}.`, {
      code: 'CHAIN_NOT_SERVED',
      details: `Served: ${(chains.evm ?? []).map((candidate) => candidate.chainId.toString()).join(', ') || 'none'}.`,
      hint: "Configure the chain (and its RPC endpoints) in the worker's node configuration.",
    })
  }
  return reader
}

function notServed(job: RequestJobData): WorkerRefusalError {
  return new WorkerRefusalError(`This worker does not serve ${job.trigger} chain ${job.chainId}.`, {
    code: 'CHAIN_NOT_SERVED',
    hint: "Configure the chain (and its RPC endpoints) in the worker's node configuration.",
  })
}

/** The job's fields that differ from what the chain says. */
function disagreements(
  job: RequestJobData,
  chain: Partial<Record<'functionId' | 'request' | 'sender', string>>,
): string[] {
  return Object.entries(chain)
    .filter(([field, value]) => {
      const claimed = job[field as keyof typeof chain]
      return claimed !== undefined && value !== undefined && claimed.toLowerCase() !== value.toLowerCase()
    })
    .map(([field]) => field)
}
