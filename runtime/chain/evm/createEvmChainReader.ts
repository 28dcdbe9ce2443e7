import type { Hex } from '../../bytes.js'
import type { Logger } from '../../logging/createLogger.js'
import { agreeOnAnswers } from '../agreeOnAnswers.js'
import { ChainReadError } from '../ChainReadError.js'
import { endpointHost } from '../endpointHost.js'
import { askEndpoints, type Endpoint } from './askEndpoints.js'
import {
  type BlockCall,
  type BlockQuestion,
  type BlockView,
  blockCalls,
  blockViewOf,
  describeBlockView,
  functionInfoOf,
  requestOfLogs,
} from './blockView.js'
import { checksumAddress } from './checksumAddress.js'
import { createRpcClient } from './createRpcClient.js'
import type { EvmFunctionInfo, EvmResultPolicy, EvmWorkerAdmission } from './registryCalls.js'
import type { RequestSent } from './requestSentLog.js'

export type CreateEvmChainReaderParameters = {
  /** The chain every endpoint must serve. */
  chainId: bigint | number | string
  /** The `TeefnRegistry` whose functions and workers count on this chain. */
  registry: string
  /** JSON-RPC endpoints (`http(s)://`), ideally run by different parties. */
  rpcUrls: readonly string[]
  /** How many endpoints must give the very same answer (1 trusts any single one). */
  quorum: number
  /** Blocks a request must be buried under; state is read at the quorum's head minus this. */
  confirmations: number
  /** Per endpoint and round trip; 5 s by default. */
  timeoutMs?: number | undefined
  /** How far back the request log is looked for when a job names no block; 128 blocks by default. */
  logLookbackBlocks?: number | undefined
  logger?: Logger | undefined
}

/** What a job says of an EVM request: only where to look. */
export type EvmRequestHint = {
  consumer: string
  requestId: Hex
  /** Read ahead for the registry; the log's own functionId wins. */
  functionId: Hex
  /** The block the relayer saw the request in; without it the last `logLookbackBlocks` are searched. */
  blockNumber?: number | undefined
}

export type EvmBlockRef = { number: number; hash: Hex }

export type EvmFunctionReading = {
  /** The block everything was read at: the quorum's head minus the confirmations. */
  at: EvmBlockRef
  fn: EvmFunctionInfo
  /** `isWorkerActive(worker)` at that block, when a worker was given. */
  workerActive?: boolean | undefined
  /** `workerInfo(worker)` at that block, when a worker was given with `admission: true`. */
  workerAdmission?: EvmWorkerAdmission | undefined
  /** The result policy the consumer applies to the function (request readings only). */
  policy?: EvmResultPolicy | undefined
}

export type EvmRequestReading = EvmFunctionReading & {
  request: RequestSent & { blockNumber: number; blockHash: Hex; transactionHash: Hex; logIndex: number }
}

export type EvmChainReader = {
  readonly chainId: bigint
  /** The registry address (EIP-55). */
  readonly registry: Hex
  /** Endpoints by host, for logs (never their paths or credentials). */
  readonly endpoints: readonly string[]
  readonly quorum: number
  readonly confirmations: number
  /**
   * The request the hint names, as a quorum of endpoints sees it at the confirmed head, with its function's
   * registry entry (and `worker`'s admission) at that block. The request id is recomputed from the log.
   * Throws `ChainReadError`: retryable for too few agreeing endpoints or too few confirmations,
   * `REQUEST_NOT_ON_CHAIN` (final) when the agreeing endpoints have no such request, `CONSUMER_NOT_REGISTERED`
   * (final) when the registry does not hold its emitter as a consumer at that block.
   */
  readRequest(hint: EvmRequestHint, options?: { worker?: Hex | undefined }): Promise<EvmRequestReading>
  /** A function's registry entry (and `worker`'s admission) at the confirmed head, agreed by a quorum. */
  readFunction(
    functionId: Hex,
    options?: { worker?: Hex | undefined; admission?: boolean | undefined },
  ): Promise<EvmFunctionReading>
  /** Closes the kept-alive connections. */
  close(): void
}

/**
 * The enclave's window on an EVM chain: every read goes to all endpoints at once and counts only when at least
 * `quorum` of them give the very same answer at the same block (same hash), `confirmations` below the head the
 * quorum agrees exists. One lying or lagging endpoint can then delay a job but never make the worker sign a
 * request that was not made, run code the registry does not name, or hand a function's secrets to anyone else.
 * What a light client would add (headers checked against consensus, state proofs) would replace the quorum
 * behind this same interface.
 */
export function createEvmChainReader({
  chainId: chainIdInput,
  registry: registryInput,
  rpcUrls,
  quorum,
  confirmations,
  timeoutMs = 5_000,
  logLookbackBlocks = 128,
  logger,
}: CreateEvmChainReaderParameters): EvmChainReader {
  const chainId = BigInt(chainIdInput)
  if (rpcUrls.length === 0) throw new RangeError('rpcUrls must name at least one endpoint')
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > rpcUrls.length) {
    throw new RangeError(`quorum must be between 1 and ${rpcUrls.length} (the endpoints), got ${quorum}`)
  }
  if (!Number.isInteger(confirmations) || confirmations < 0) {
    throw new RangeError(`confirmations must be a whole number >= 0, got ${confirmations}`)
  }
  const registry = checksumAddress(registryInput)
  const endpoints: Endpoint[] = rpcUrls.map((url) => ({
    host: endpointHost(url),
    rpc: createRpcClient({ url, timeoutMs, maxSockets: 8 }),
    servesChain: false,
  }))
  const what = (thing: string) => `${thing} on EVM chain ${chainId}`

  const askAll = <T>(calls: BlockCall[], read: (results: unknown[]) => T) =>
    askEndpoints({ endpoints, chainId, calls, read })

  /** The block to read at: the quorum-th highest head minus the confirmations (a single liar cannot raise it). */
  const confirmedBlockNumber = async (): Promise<number> => {
    const outcomes = await askAll([{ method: 'eth_blockNumber' }], ([head]) => {
      if (typeof head !== 'string') throw new TypeError('no block number')
      return Number(head)
    })
    const heads = outcomes
      .flatMap((outcome) => ('answer' in outcome ? [outcome.answer] : []))
      .sort((a, b) => b - a)
    if (heads.length < quorum) {
      agreeOnAnswers({ outcomes, quorum, what: what('the head'), describe: (head) => `head ${head}` })
    }
    return heads[quorum - 1]! - confirmations
  }

  /** Round two: the block's hash and everything asked of it, in one batch per endpoint, agreed by the quorum. */
  const readBlock = async (number: number, question: BlockQuestion): Promise<BlockView> => {
    const outcomes = await askAll(blockCalls(number, question), (results) => blockViewOf(results, question))
    const subject = question.request
      ? `request ${question.request.requestId}`
      : `function ${question.functionId}`
    return agreeOnAnswers({
      outcomes,
      quorum,
      what: what(`${subject} at block ${number}`),
      describe: describeBlockView,
    })
  }

  const readFunction = async (
    functionId: Hex,
    options: { worker?: Hex | undefined; admission?: boolean | undefined } = {},
  ) => {
    const number = await confirmedBlockNumber()
    if (number < 0) {
      throw new ChainReadError(`EVM chain ${chainId} has no confirmed block yet.`, {
        code: 'REQUEST_NOT_CONFIRMED',
        details: `${confirmations} confirmations are configured.`,
      })
    }
    const view = await readBlock(number, {
      registry,
      functionId,
      worker: options.worker,
      admission: options.admission,
    })
    return readingOf(number, view)
  }

  return {
    chainId,
    registry,
    endpoints: endpoints.map(({ host }) => host),
    quorum,
    confirmations,
    readFunction,
    async readRequest(hint, options = {}) {
      const consumer = checksumAddress(hint.consumer)
      const number = await confirmedBlockNumber()
      const seenAt = hint.blockNumber ?? number
      if (number < 0 || number < seenAt) {
        throw new ChainReadError(`Request ${hint.requestId} is not confirmed yet on EVM chain ${chainId}.`, {
          code: 'REQUEST_NOT_CONFIRMED',
          details: `The job names block ${hint.blockNumber}; the quorum's confirmed head is ${number} (${confirmations} confirmations).`,
          hint: 'The job is retried once the block is deep enough.',
        })
      }
      // From the block the job names (a request a reorg moved lands later, never earlier) to the read block: a
      // few blocks for the node to scan. A job that names a later block than the request's only fails itself.
      const fromBlock = hint.blockNumber ?? Math.max(0, number - logLookbackBlocks)
      // The policy is asked for the job's functionId in the same batch: right in every honest job, it saves a round.
      const view = await readBlock(number, {
        registry,
        functionId: hint.functionId,
        worker: options.worker,
        policyConsumer: consumer,
        request: { consumer, requestId: hint.requestId, fromBlock },
      })
      // Only a registered consumer's requests are served: a contract that copies the event signature (and
      // recomputes ids, and answers `requestInfo`) but never signed up is refused whatever its job says.
      if (!view.consumerRegistered) {
        throw new ChainReadError(`${consumer} is not a registered consumer on EVM chain ${chainId}.`, {
          code: 'CONSUMER_NOT_REGISTERED',
          details: `${quorum} endpoint(s) agree that registry ${registry} does not hold it as a consumer at block ${number} (${view.hash}).`,
          hint: 'A consumer signs up by calling registerConsumer() on the registry (TeefnConsumer does in its constructor): nothing is run or signed for it until then.',
        })
      }
      const request = requestOfLogs(view.logs ?? [], { consumer, requestId: hint.requestId, chainId })
      if (!request) {
        throw new ChainReadError(`EVM chain ${chainId} has no request ${hint.requestId} from ${consumer}.`, {
          code: 'REQUEST_NOT_ON_CHAIN',
          details: `${quorum} endpoint(s) agree on block ${number} (${view.hash}) and found no RequestSent with this id, and content that hashes to it, in blocks ${fromBlock}-${number}.`,
          hint: 'The job does not describe a request the chain holds (a reorg removed it, or the job was forged): nothing is signed.',
        })
      }
      // Answered, cancelled or expired: the consumer would refuse any answer, so none is computed.
      const state = view.request?.state
      if (state !== 'Pending' || view.timestamp > (view.request?.deadline ?? 0)) {
        throw new ChainReadError(`Request ${request.requestId} no longer waits for an answer.`, {
          code: 'REQUEST_NOT_PENDING',
          details: `At block ${number} the consumer holds it as ${state === 'Pending' ? `Pending, past its deadline ${view.request?.deadline}` : state}.`,
          hint: 'Nothing to do: nothing is run or signed for it.',
        })
      }
      // The job's functionId was only a guess: the log decides. When it was wrong, or the batch had no policy, the
      // function and its policy are read again for the logged functionId, at the same block.
      const reading =
        view.policy && request.functionId.toLowerCase() === hint.functionId.toLowerCase()
          ? readingOf(number, view)
          : readingOf(
              number,
              await readBlock(number, {
                registry,
                functionId: request.functionId,
                worker: options.worker,
                policyConsumer: consumer,
              }),
            )
      if (reading.at.hash !== view.hash) {
        throw new ChainReadError(`Block ${number} changed while it was read.`, {
          code: 'RPC_QUORUM_NOT_REACHED',
          details: `${view.hash} then ${reading.at.hash}`,
          hint: 'A reorg at the confirmed depth: the job is retried; consider more confirmations.',
        })
      }
      logger?.debug({ requestId: request.requestId, block: number }, 'request read through the RPC quorum')
      return { ...reading, request }
    },
    close() {
      for (const { rpc } of endpoints) rpc.close()
    },
  }
}

function readingOf(number: number, view: BlockView): EvmFunctionReading {
  return {
    at: { number, hash: view.hash as Hex },
    fn: functionInfoOf(view),
    workerActive: view.workerActive,
    ...(view.workerAdmission ? { workerAdmission: view.workerAdmission } : {}),
    ...(view.policy ? { policy: view.policy } : {}),
  }
}
