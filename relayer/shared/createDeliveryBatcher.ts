import { BaseError } from '../../runtime/errors/BaseError.js'

export type CreateDeliveryBatcherParameters<T, R> = {
  /**
   * Sends one group and settles each of its items on its own, in order. A throw (or a missing result) fails
   * every item of the group it leaves unsettled.
   */
  send: (items: T[], group: string) => Promise<PromiseSettledResult<R>[]>
  /** The group an item leaves with (EVM: its consumer, one transaction each); one group for all by default. */
  groupOf?: ((item: T) => string) | undefined
  /** Most items in one group. */
  maxBatchSize: number
  /** Groups out at once; 1 by default. */
  maxInFlight?: number | undefined
  /**
   * After a send starts, the next waits until this much time has passed (unless a full batch waits), so what
   * arrives meanwhile leaves together; 0 by default.
   */
  windowMs?: number | undefined
  /** The oldest waiting item waits this long for company (unless a full batch waits); 0 by default. */
  lingerMs?: number | undefined
}

export type DeliveryBatcher<T, R> = {
  /** Queues `item`; settles with its own result once its group was sent. */
  add(item: T): Promise<R>
  /** Items waiting to leave. */
  readonly waiting: number
  /** Groups sent and not yet settled. */
  readonly inFlight: number
  /** Stops the timer and fails what still waits (`DELIVERY_BATCHER_CLOSED`); groups out still settle. */
  close(): void
}

/** The batcher was closed with deliveries still waiting (`DELIVERY_BATCHER_CLOSED`), or `send` left one unsettled (`DELIVERY_UNSETTLED`). */
export class DeliveryBatcherError extends BaseError<DeliveryBatcherErrorCode> {
  override name = 'DeliveryBatcherError'
}

export type DeliveryBatcherErrorCode = 'DELIVERY_BATCHER_CLOSED' | 'DELIVERY_UNSETTLED'

type Waiting<T, R> = {
  item: T
  group: string
  at: number
  resolve: (result: R) => void
  reject: (error: unknown) => void
}

/**
 * The batcher both submitters share: deliveries wait here and leave in groups of up to `maxBatchSize` (per
 * `groupOf`), at most `maxInFlight` groups out at once, no sooner than `windowMs` after the previous send and
 * `lingerMs` after the oldest arrived, unless a full batch waits. At low rates (and with both at 0) a delivery
 * leaves at once; under load, fewer and fuller transactions. Each delivery gets its own outcome.
 */
export function createDeliveryBatcher<T, R>({
  send,
  groupOf = () => '',
  maxBatchSize,
  maxInFlight = 1,
  windowMs = 0,
  lingerMs = 0,
}: CreateDeliveryBatcherParameters<T, R>): DeliveryBatcher<T, R> {
  if (!(maxBatchSize >= 1 && maxInFlight >= 1)) {
    throw new RangeError(
      `maxBatchSize and maxInFlight must be at least 1, got ${maxBatchSize}, ${maxInFlight}`,
    )
  }
  const waiting: Waiting<T, R>[] = []
  let inFlight = 0
  let lastSentAt = Number.NEGATIVE_INFINITY
  let timer: NodeJS.Timeout | undefined
  let closed = false

  // The time a group may leave only grows (the oldest item only gets younger, the last send only later), so
  // one timer at a time is never late.
  const pump = () => {
    while (!closed && waiting.length > 0 && inFlight < maxInFlight) {
      const wait = Math.max(lastSentAt + windowMs, waiting[0]!.at + lingerMs) - performance.now()
      if (wait > 0 && waiting.length < maxBatchSize) {
        timer ??= setTimeout(() => {
          timer = undefined
          pump()
        }, Math.ceil(wait))
        return
      }
      const group = takeGroup(waiting, maxBatchSize)
      inFlight++
      lastSentAt = performance.now()
      void dispatch(group).finally(() => {
        inFlight--
        pump()
      })
    }
  }

  const dispatch = async (group: Waiting<T, R>[]) => {
    let results: PromiseSettledResult<R>[]
    try {
      results = await send(
        group.map((entry) => entry.item),
        group[0]!.group,
      )
    } catch (error) {
      for (const entry of group) entry.reject(error)
      return
    }
    group.forEach((entry, index) => {
      const result = results[index]
      if (result?.status === 'fulfilled') entry.resolve(result.value)
      else if (result) entry.reject(result.reason)
      else entry.reject(unsettledError(results.length, group.length))
    })
  }

  return {
    add(item) {
      if (closed) return Promise.reject(closedError())
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, group: groupOf(item), at: performance.now(), resolve, reject })
        pump()
      })
    },
    get waiting() {
      return waiting.length
    },
    get inFlight() {
      return inFlight
    },
    close() {
      closed = true
      clearTimeout(timer)
      timer = undefined
      for (const entry of waiting.splice(0)) entry.reject(closedError())
    },
  }
}

/** Takes the oldest item's group out of `waiting`: up to `max` items of that group, in arrival order. */
function takeGroup<E extends { group: string }>(waiting: E[], max: number): E[] {
  const group = waiting[0]!.group
  const taken: E[] = []
  for (let index = 0; index < waiting.length && taken.length < max; ) {
    if (waiting[index]!.group === group) taken.push(...waiting.splice(index, 1))
    else index++
  }
  return taken
}

function closedError(): DeliveryBatcherError {
  return new DeliveryBatcherError('The delivery batcher is closed.', {
    code: 'DELIVERY_BATCHER_CLOSED',
    hint: 'The submitter is stopping; the delivery job is retried by the queue.',
  })
}

function unsettledError(results: number, items: number): DeliveryBatcherError {
  return new DeliveryBatcherError('A send left a delivery unsettled.', {
    code: 'DELIVERY_UNSETTLED',
    details: `${results} results for ${items} deliveries.`,
    hint: 'A bug in the submitter; the delivery job is retried by the queue.',
  })
}
