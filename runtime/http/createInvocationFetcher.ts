import { setMaxListeners } from 'node:events'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { MemoryBudget } from './createMemoryBudget.js'
import type { NetworkPolicy } from './createNetworkPolicy.js'
import { FetchError } from './FetchError.js'
import { fetchDefaults } from './fetchDefaults.js'
import {
  type HostFetchAgents,
  type HostFetchRequest,
  type HostFetchResponse,
  type HostFetchTransport,
  hostFetch,
} from './hostFetch.js'

export type CreateInvocationFetcherParameters = {
  policy: NetworkPolicy
  /** Fetches this invocation may start; default 16. */
  maxFetches?: number | undefined
  /** Decoded body bytes per response; default 5 MiB. */
  maxResponseBytes?: number | undefined
  /** Per fetch, redirects and body included; default 10 s. Cut short by `deadlineAt`. */
  timeoutMs?: number | undefined
  /** Redirects per fetch; default 5. */
  maxRedirects?: number | undefined
  /** The invocation's wall-clock deadline, epoch milliseconds. */
  deadlineAt: number
  /**
   * Keep-alive pools shared with other invocations under the same policy (see `keepAliveAgentsFor`); by
   * default the invocation gets its own, destroyed when it closes.
   */
  agents?: HostFetchAgents | undefined
  /**
   * The invocation's memory (`createMemoryBudget`): request and response bodies and decoders reserve from it
   * while the host holds them, and a fetch whose bytes do not fit fails with `MEMORY_LIMIT`. Without it, only
   * the per-fetch limits bound what the host holds.
   */
  memory?: MemoryBudget | undefined
  /**
   * Answers the fetches instead of the network (`createMockTransport` for `teefn run --mock`). They count and are
   * limited exactly as real ones: only the wire is replaced.
   */
  transport?: HostFetchTransport | undefined
}

export type InvocationFetcher = {
  /** Fetches under the invocation's policy and limits; rejects with {@link FetchError}. */
  fetch(request: HostFetchRequest): Promise<HostFetchResponse>
  /**
   * Counts `fetches` made elsewhere under this invocation's budget (the blocking fetches of a compat mode's
   * synchronous HTTP, made on a helper thread) and answers the ms left until the deadline. Refuses all of them,
   * counting none, as `fetch` would refuse one: `TOO_MANY_REQUESTS` when they do not all fit, `TIMEOUT` past the
   * deadline, `NETWORK_ERROR` once closed.
   */
  claim(fetches: number): number
  /** Records a limit that fetches made elsewhere (see `claim`) ran into, as `limitHit` names those of `fetch`. */
  noteLimit(limit: FetchLimit): void
  /** Fetches started so far; calls refused with `TOO_MANY_REQUESTS` are not counted. */
  readonly count: number
  /** Aborts fetches in flight (`NETWORK_ERROR`), refuses new ones, and closes every pooled socket. Idempotent. */
  close(): void
  /**
   * The first fetch limit a fetch ran into (named as the sandbox's limit), even when the function caught the
   * error: a failure it then reports (Chainlink's `exceeded numAllowedQueries`) still names the limit.
   */
  readonly limitHit: FetchLimit | undefined
}

/** The sandbox limits a fetch can run into. */
export type FetchLimit = 'maxFetches' | 'fetchResponseBytes' | 'fetchTimeoutMs'

/**
 * The fetch state of one invocation: its budget of fetches, its deadline, and its own keep-alive
 * connection pools. Sockets are reused within the invocation and never across invocations, because a
 * socket admitted under one invocation's allowlist must not serve another's. Fetches run concurrently.
 *
 * @example
 * const fetcher = createInvocationFetcher({ policy, deadlineAt: Date.now() + 10_000 })
 * try {
 *   const [a, b] = await Promise.all([fetcher.fetch({ url: urlA }), fetcher.fetch({ url: urlB })])
 * } finally {
 *   fetcher.close()
 * }
 */
export function createInvocationFetcher(parameters: CreateInvocationFetcherParameters): InvocationFetcher {
  const { policy, deadlineAt } = parameters
  const maxFetches = parameters.maxFetches ?? fetchDefaults.maxFetches
  const maxResponseBytes = parameters.maxResponseBytes ?? fetchDefaults.maxResponseBytes
  const timeoutMs = parameters.timeoutMs ?? fetchDefaults.timeoutMs
  const maxRedirects = parameters.maxRedirects ?? fetchDefaults.maxRedirects
  // Each fetch holds at most one socket at a time, so maxFetches bounds the pool; no queueing behind a limit.
  const agentOptions = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: maxFetches }
  const ownAgents = parameters.agents === undefined
  const agents = parameters.agents ?? {
    http: new HttpAgent(agentOptions),
    https: new HttpsAgent(agentOptions),
  }
  const controller = new AbortController()
  // Every fetch in flight listens on it; 16 concurrent fetches are expected, not a leak.
  setMaxListeners(maxFetches + 8, controller.signal)
  let count = 0
  let inFlight = 0
  let closed = false
  let limitHit: FetchLimit | undefined

  function claim(fetches: number): number {
    if (closed) {
      throw new FetchError('This invocation has ended; it cannot fetch any more.', { code: 'NETWORK_ERROR' })
    }
    if (count + fetches > maxFetches) {
      limitHit ??= 'maxFetches'
      throw new FetchError(
        `This invocation started ${count} fetches; ${fetches} more would pass the limit of ${maxFetches}.`,
        {
          code: 'TOO_MANY_REQUESTS',
          hint: 'Fetch fewer URLs per invocation: batch them upstream, or split the work across invocations.',
        },
      )
    }
    count += fetches
    const remainingMs = deadlineAt - Date.now()
    if (remainingMs <= 0) {
      throw new FetchError("The invocation's deadline has passed; no fetch can start.", {
        code: 'TIMEOUT',
        details: `deadline passed ${-remainingMs} ms ago`,
      })
    }
    return remainingMs
  }

  async function fetch(request: HostFetchRequest): Promise<HostFetchResponse> {
    if (closed) {
      throw new FetchError('This invocation has ended; it cannot fetch any more.', { code: 'NETWORK_ERROR' })
    }
    if (count >= maxFetches) {
      limitHit ??= 'maxFetches'
      throw new FetchError(`This invocation already started ${maxFetches} fetches, the limit.`, {
        code: 'TOO_MANY_REQUESTS',
        hint: 'Fetch fewer URLs per invocation: batch them upstream, or split the work across invocations.',
      })
    }
    const remainingMs = claim(1)
    inFlight++
    const ownTimeout = timeoutMs < remainingMs
    try {
      return await hostFetch(request, {
        policy,
        timeoutMs: Math.min(timeoutMs, remainingMs),
        maxResponseBytes,
        maxRedirects,
        signal: controller.signal,
        agents,
        memory: parameters.memory,
        transport: parameters.transport,
      })
    } catch (error) {
      const code = (error as FetchError).code
      if (code === 'RESPONSE_TOO_LARGE') limitHit ??= 'fetchResponseBytes'
      else if (code === 'TIMEOUT' && ownTimeout) limitHit ??= 'fetchTimeoutMs'
      throw error
    } finally {
      inFlight--
    }
  }

  function close(): void {
    // Most invocations end with nothing in flight: no abort (and no error with a stack trace) to build then.
    if (!closed && inFlight > 0) {
      controller.abort(new FetchError('The invocation ended.', { code: 'NETWORK_ERROR' }))
    }
    closed = true
    if (ownAgents) {
      agents.http.destroy()
      agents.https.destroy()
    }
  }

  function noteLimit(limit: FetchLimit): void {
    limitHit ??= limit
  }

  return {
    fetch,
    claim,
    noteLimit,
    get count() {
      return count
    },
    get limitHit() {
      return limitHit
    },
    close,
  }
}
