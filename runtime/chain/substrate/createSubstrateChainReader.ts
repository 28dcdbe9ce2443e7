import { withTimeout } from '../../async/withTimeout.js'
import type { Hex } from '../../bytes.js'
import { BaseError } from '../../errors/BaseError.js'
import type { Logger } from '../../logging/createLogger.js'
import { ChainReadError } from '../ChainReadError.js'
import { endpointHost, redactEndpoints } from '../endpointHost.js'
import { type EndpointOutcome, reachQuorum } from '../reachQuorum.js'
import { openSubstrateEndpoint, type SubstrateEndpoint } from './openSubstrateEndpoint.js'
import { readRequestFromEndpoint } from './readRequestFromEndpoint.js'
import type {
  SubstrateEndpointAnswer,
  SubstrateHeads,
  SubstrateRequestHint,
  SubstrateRequestReading,
} from './SubstrateRequestReading.js'

export type CreateSubstrateChainReaderParameters = {
  /** The chain's genesis hash: every endpoint must serve it. */
  genesisHash: Hex
  /** `ws://` / `wss://` endpoints, ideally of independent operators. */
  wsUrls: readonly string[]
  /** How many endpoints must give the same answer (1..wsUrls.length). */
  quorum: number
  /** `finalized`: only blocks at or below the finalized head count. `best`: blocks on the best chain. */
  heads: SubstrateHeads
  /** Per endpoint, for one read (and for connecting); 10 s by default. */
  timeoutMs?: number | undefined
  logger?: Logger | undefined
}

export type SubstrateChainReader = {
  /**
   * Re-reads a request from the chain through the quorum. Resolves with the request only when at least
   * `quorum` endpoints read the same content and it hashes to `hint.requestId`. Throws `ChainReadError`:
   * `RPC_QUORUM_NOT_REACHED` and `REQUEST_NOT_CONFIRMED` (retryable), `REQUEST_NOT_ON_CHAIN` (final).
   */
  readRequest(hint: SubstrateRequestHint): Promise<SubstrateRequestReading>
  /** Disconnects every endpoint. */
  close(): Promise<void>
}

export type CreateSubstrateChainReaderReturnType = SubstrateChainReader

/** One configured endpoint: its connection is opened on first use and its genesis checked once. */
type EndpointSlot = {
  url: string
  /** `#index host`: how logs and errors name it (never the path or credentials). */
  label: string
  connection: Promise<SubstrateEndpoint> | undefined
  /** Set once the endpoint was seen to serve another chain: it never answers again. */
  wrongChain: string | undefined
}

const defaultTimeoutMs = 10_000

/**
 * The worker's view of a Substrate chain: every request is read again from the chain, through several
 * endpoints, because job data and any single RPC endpoint are controlled by the operator. Each endpoint
 * answers on its own (`readRequestFromEndpoint`); at least `quorum` must give the same answer, compared as
 * canonical JSON. The request id is recomputed from what they read (spec §4), so a job can point at a
 * request but never change it.
 *
 * @example
 * const reader = createSubstrateChainReader({ genesisHash, wsUrls: [a, b, c], quorum: 2, heads: 'finalized' })
 * const { request } = await reader.readRequest({ blockHash, extrinsicIndex, requestId })
 */
export function createSubstrateChainReader({
  genesisHash,
  wsUrls,
  quorum,
  heads,
  timeoutMs = defaultTimeoutMs,
  logger,
}: CreateSubstrateChainReaderParameters): SubstrateChainReader {
  checkParameters({ genesisHash, wsUrls, quorum, heads, timeoutMs })
  const genesis = genesisHash.toLowerCase() as Hex
  let closed = false
  const slots: EndpointSlot[] = wsUrls.map((url, index) => ({
    url,
    label: `#${index} ${endpointHost(url)}`,
    connection: undefined,
    wrongChain: undefined,
  }))

  const connect = (slot: EndpointSlot): Promise<SubstrateEndpoint> => {
    if (!slot.connection) {
      const opening = openSubstrateEndpoint({ url: slot.url, genesisHash: genesis, timeoutMs, logger })
      slot.connection = opening
      opening.catch((error) => {
        // Retried on the next read, except a wrong chain: that is checked once.
        if (slot.connection === opening) slot.connection = undefined
        if (error instanceof ChainReadError && error.code === 'RPC_WRONG_CHAIN')
          slot.wrongChain = error.details
      })
    }
    return slot.connection
  }

  const ask = async (slot: EndpointSlot, hint: SubstrateRequestHint): Promise<Outcome> => {
    if (slot.wrongChain) return { endpoint: slot.label, error: `serves another chain (${slot.wrongChain})` }
    try {
      const endpoint = await connect(slot)
      const { answer, why } = await withTimeout(
        readRequestFromEndpoint(endpoint, { genesisHash: genesis, heads, hint }),
        { timeoutMs },
      )
      return { endpoint: slot.label, answer, why }
    } catch (error) {
      return { endpoint: slot.label, error: describeError(error) }
    }
  }

  return {
    async readRequest(input) {
      if (closed) throw new BaseError('The substrate chain reader is closed.', { code: 'READER_CLOSED' })
      const hint = normalizeHint(input)
      const outcomes = await Promise.all(slots.map((slot) => ask(slot, hint)))
      return settle({ outcomes, quorum, heads, hint, logger })
    },
    async close() {
      closed = true
      await Promise.all(
        slots.map(async (slot) => {
          const connection = slot.connection
          slot.connection = undefined
          await connection?.then((endpoint) => endpoint.close()).catch(() => {})
        }),
      )
    },
  }
}

type Outcome = EndpointOutcome<SubstrateEndpointAnswer> & { why?: string }

/** The reading the quorum agreed on, or the `ChainReadError` its answer (or its absence) means. */
function settle({
  outcomes,
  quorum,
  heads,
  hint,
  logger,
}: {
  outcomes: readonly Outcome[]
  quorum: number
  heads: SubstrateHeads
  hint: SubstrateRequestHint
  logger: Logger | undefined
}): SubstrateRequestReading {
  const verdict = reachQuorum({ outcomes, quorum })
  const said = outcomes.map(describeOutcome).join('; ')
  if (!verdict.reached) {
    logger?.warn({ requestId: hint.requestId, endpoints: said }, 'substrate endpoints did not agree')
    const tally =
      verdict.reason === 'conflict'
        ? `two different answers each have ${quorum} or more votes`
        : `at most ${verdict.votes} of ${outcomes.length} endpoints agree, ${quorum} needed`
    throw new ChainReadError('Too few endpoints agree on the request.', {
      code: 'RPC_QUORUM_NOT_REACHED',
      details: `${tally}: ${said}`,
      hint: 'Retried later; if it persists, check the endpoints named here (down, lagging, or another chain).',
    })
  }
  if (verdict.agreeing.length < outcomes.length) {
    logger?.warn(
      { requestId: hint.requestId, endpoints: said },
      'a substrate endpoint disagreed with the quorum',
    )
  }
  const { answer } = verdict
  if (answer.kind === 'found') return { request: answer.request }
  if (answer.kind === 'notConfirmed') {
    throw new ChainReadError('The request block is not confirmed yet.', {
      code: 'REQUEST_NOT_CONFIRMED',
      details: `block ${hint.blockHash} is not ${heads === 'finalized' ? 'finalized' : 'on the best chain'}: ${said}`,
      hint: 'Retried later: the block may still be finalized, or the request re-included in another block.',
    })
  }
  throw new ChainReadError('The chain holds no such request.', {
    code: 'REQUEST_NOT_ON_CHAIN',
    details: `no remark of extrinsic ${hint.extrinsicIndex} of block ${hint.blockHash} has id ${hint.requestId}: ${said}`,
    hint: 'The job does not match the chain: it was altered or points at the wrong extrinsic. Nothing is signed.',
  })
}

function checkParameters(parameters: Omit<CreateSubstrateChainReaderParameters, 'logger'>): void {
  const problem = parameterProblem(parameters)
  if (problem) {
    throw new BaseError('Invalid substrate chain reader parameters.', {
      code: 'INVALID_CHAIN_READER_PARAMETERS',
      details: problem,
      hint: 'Check the substrate chain configuration (wsUrls, rpcQuorum).',
    })
  }
}

function parameterProblem({
  genesisHash,
  wsUrls,
  quorum,
  heads,
  timeoutMs,
}: Omit<CreateSubstrateChainReaderParameters, 'logger'>): string | undefined {
  if (!isHash32(genesisHash)) return 'genesisHash must be 32 bytes of 0x-hex'
  if (wsUrls.length === 0) return 'wsUrls is empty'
  if (wsUrls.some((url) => !/^wss?:\/\/\S+$/.test(url))) {
    return `every wsUrl must be ws:// or wss:// (got ${wsUrls.map(endpointHost).join(', ')})`
  }
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > wsUrls.length) {
    return `quorum must be an integer from 1 to ${wsUrls.length} (the number of wsUrls), got ${quorum}`
  }
  if (heads !== 'finalized' && heads !== 'best') return "heads must be 'finalized' or 'best'"
  if (timeoutMs !== undefined && !(timeoutMs > 0)) return 'timeoutMs must be positive'
  return undefined
}

/**
 * The hint in lowercase, or `REQUEST_NOT_ON_CHAIN`: a hint that is not even well-formed cannot name a
 * request, and it comes from job data, which anyone with Redis access can write.
 */
function normalizeHint(hint: SubstrateRequestHint): SubstrateRequestHint {
  const problem = hintProblem(hint)
  if (problem) {
    throw new ChainReadError('The job does not name a request.', {
      code: 'REQUEST_NOT_ON_CHAIN',
      details: `hint: ${problem}`,
    })
  }
  return {
    blockHash: hint.blockHash.toLowerCase() as Hex,
    extrinsicIndex: hint.extrinsicIndex,
    requestId: hint.requestId.toLowerCase() as Hex,
  }
}

function hintProblem(hint: SubstrateRequestHint | undefined): string | undefined {
  if (!isHash32(hint?.blockHash)) return 'blockHash is not 32 bytes of 0x-hex'
  if (!isHash32(hint.requestId)) return 'requestId is not 32 bytes of 0x-hex'
  const index = hint.extrinsicIndex
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) return 'extrinsicIndex is not a u32'
  return undefined
}

function isHash32(value: unknown): value is Hex {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value)
}

function describeOutcome(outcome: Outcome): string {
  if ('error' in outcome) return `${outcome.endpoint}: error ${outcome.error}`
  return `${outcome.endpoint}: ${outcome.answer.kind} (${outcome.why ?? ''})`
}

/** An error as one short line, with any URL in it cut to its host. */
function describeError(error: unknown): string {
  const text =
    error instanceof BaseError
      ? `${error.shortMessage}${error.details ? ` ${error.details}` : ''}`
      : ((error as Error)?.message ?? String(error))
  return redactEndpoints(text).slice(0, 200)
}
