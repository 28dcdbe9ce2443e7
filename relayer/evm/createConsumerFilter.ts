import type { Hex } from '../../runtime/bytes.js'
import { quantity } from '../../runtime/chain/evm/blockView.js'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { decodeBool, isConsumerCalldata } from '../../runtime/chain/evm/registryCalls.js'
import { BaseError } from '../../runtime/errors/BaseError.js'
import type { RequestJobData } from '../../runtime/queue/jobs.js'

export type CreateConsumerFilterParameters = {
  rpc: RpcClient
  /** The `TeefnRegistry` whose `isConsumer` decides. */
  registry: string
  /**
   * An allow-list: only these consumers are served, without asking the registry (the operator named them; the
   * worker still refuses any that is not registered). Undefined: every registered consumer.
   */
  consumers?: readonly string[] | undefined
  /** Consumers never served, registered or not. */
  denyConsumers?: readonly string[] | undefined
  /** How long a "registered" answer is reused for the same or later blocks; 60 s by default. */
  cacheTtlMs?: number | undefined
  /** Most answers kept; the oldest go first. 10 000 by default. */
  maxEntries?: number | undefined
}

export type ConsumerFilterStats = {
  /** Requests dropped because their emitter was not a registered consumer at the log's block. */
  unregistered: number
  /** Requests dropped by the operator's config: not in `consumers`, or in `denyConsumers`. */
  denied: number
  /** `isConsumer` calls made (a cache miss each). */
  lookups: number
}

export type ConsumerFilter = {
  /** The requests whose emitter this node serves: allowed by the config and registered at the log's block. */
  filter(requests: readonly RequestJobData[]): Promise<RequestJobData[]>
  stats(): ConsumerFilterStats
}

/** The registry gave no `isConsumer` answer, neither at the log's block nor at the head. */
export class ConsumerLookupError extends BaseError {
  override name = 'ConsumerLookupError'
  constructor(consumer: string, block: number, reason: string) {
    super(`Could not ask the registry whether ${consumer} is a consumer.`, {
      code: 'CONSUMER_LOOKUP_FAILED',
      details: `isConsumer(${consumer}) at block ${block} and at the head: ${reason}`,
      hint: 'Check that evm[].registry is a TeefnRegistry with consumer sign-up on this chain; the scan retries.',
    })
  }
}

/**
 * Which `RequestSent` logs are requests for this node: the watcher reads them by topic from every contract, and
 * keeps those whose emitter the registry holds as a consumer at the log's block and the config does not deny.
 * With an allow-list, the listed consumers are kept as they are (their logs are read by address). An
 * optimization only: the worker checks registration again through its RPC quorum, since job data is untrusted.
 * A "registered" answer at block n is reused for logs at n or later for `cacheTtlMs` (a consumer that left in
 * between is refused by the worker); a "not registered" answer only for the same block, so a contract that signs
 * up later is never missed. Lookups of one call are one JSON-RPC batch; an endpoint without the state of an old
 * block (a pruned node) is asked at the head instead.
 */
export function createConsumerFilter({
  rpc,
  registry: registryInput,
  consumers,
  denyConsumers = [],
  cacheTtlMs = 60_000,
  maxEntries = 10_000,
}: CreateConsumerFilterParameters): ConsumerFilter {
  const registry = checksumAddress(registryInput)
  const allowed = consumers ? new Set(consumers.map((address) => address.toLowerCase())) : undefined
  const denied = new Set(denyConsumers.map((address) => address.toLowerCase()))
  const stats: ConsumerFilterStats = { unregistered: 0, denied: 0, lookups: 0 }
  /** address -> the block from which it was seen registered, until `expiresAt`. */
  const registeredFrom = new Map<string, { block: number; expiresAt: number }>()
  /** `address@block` seen unregistered. */
  const unregisteredAt = new Map<string, number>()

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key)
    map.set(key, value)
    if (map.size > maxEntries) map.delete(map.keys().next().value as string)
  }

  const cached = (address: string, block: number, now: number): boolean | undefined => {
    const from = registeredFrom.get(address)
    if (from && from.expiresAt > now && block >= from.block) return true
    const expiresAt = unregisteredAt.get(`${address}@${block}`)
    if (expiresAt !== undefined && expiresAt > now) return false
    return undefined
  }

  const ask = async (questions: { address: string; block: number }[]): Promise<(boolean | undefined)[]> => {
    stats.lookups += questions.length
    const settled = await rpc.batch(
      questions.map(({ address, block }) => ({
        method: 'eth_call',
        params: [{ to: registry, data: isConsumerCalldata(address as Hex) }, quantity(block)],
      })),
    )
    return settled.map((result) => (result.status === 'fulfilled' ? decodeBool(result.value) : undefined))
  }

  const lookUp = async (questions: { address: string; block: number }[]): Promise<boolean[]> => {
    const answers = await ask(questions)
    const missing = questions.flatMap((_question, index) => (answers[index] === undefined ? [index] : []))
    if (missing.length > 0) {
      const head = Number(await rpc.request<string>('eth_blockNumber'))
      const atHead = await ask(missing.map((index) => ({ address: questions[index]!.address, block: head })))
      for (const [position, index] of missing.entries()) {
        const answer = atHead[position]
        if (answer === undefined) {
          const { address, block } = questions[index]!
          throw new ConsumerLookupError(address, block, 'no boolean answer')
        }
        answers[index] = answer
      }
    }
    return answers as boolean[]
  }

  return {
    async filter(requests) {
      const now = Date.now()
      const candidates = requests.filter((request) => {
        const address = request.destination.toLowerCase()
        if (denied.has(address) || (allowed && !allowed.has(address))) {
          stats.denied++
          return false
        }
        return true
      })
      if (allowed) return candidates
      const decided = new Map<string, boolean>()
      const questions = new Map<string, { address: string; block: number }>()
      for (const request of candidates) {
        const address = request.destination.toLowerCase()
        const block = request.origin?.blockNumber ?? 0
        const key = `${address}@${block}`
        if (decided.has(key) || questions.has(key)) continue
        const known = cached(address, block, now)
        if (known === undefined) questions.set(key, { address, block })
        else decided.set(key, known)
      }
      // One batch per call, in chunks: a backfill range may hold many emitters.
      const pending = [...questions.values()]
      for (let start = 0; start < pending.length; start += 100) {
        const asked = pending.slice(start, start + 100)
        const answers = await lookUp(asked)
        for (const [index, { address, block }] of asked.entries()) {
          const registered = answers[index]!
          decided.set(`${address}@${block}`, registered)
          if (registered) {
            const known = registeredFrom.get(address)
            const from = known && known.expiresAt > now ? Math.min(known.block, block) : block
            remember(registeredFrom, address, { block: from, expiresAt: now + cacheTtlMs })
          } else {
            remember(unregisteredAt, `${address}@${block}`, now + cacheTtlMs)
          }
        }
      }
      return candidates.filter((request) => {
        const key = `${request.destination.toLowerCase()}@${request.origin?.blockNumber ?? 0}`
        const served = decided.get(key) === true
        if (!served) stats.unregistered++
        return served
      })
    },
    stats: () => ({ ...stats }),
  }
}
