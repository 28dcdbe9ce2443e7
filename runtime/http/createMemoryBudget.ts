export type CreateMemoryBudgetParameters = {
  /** The invocation's memory limit, in bytes. */
  limitBytes: number
  /**
   * Bytes the invocation uses elsewhere and that count against the same limit (the sandbox passes how far its
   * heap grew during the invocation). Read on every reservation; 0 by default.
   */
  usedElsewhere?: (() => number) | undefined
  /** Told the bytes reserved after every change (the sandbox lowers the heap's allowance by them). */
  onChange?: ((reservedBytes: number) => void) | undefined
}

/** Bytes one holder (a response body, a decoder) keeps reserved; it grows as it fills and is released once. */
export type MemoryReservation = {
  readonly bytes: number
  /** Reserves `bytes` more; false (and nothing reserved) when they do not fit in what is left. */
  tryGrow(bytes: number): boolean
  /** Gives back `bytes` of this reservation (a transient copy that is gone). */
  shrink(bytes: number): void
  /** Gives back all of it. Idempotent. */
  release(): void
}

export type MemoryBudget = {
  readonly limitBytes: number
  /** Bytes reserved now. */
  readonly reservedBytes: number
  /** The most ever reserved at once, plus what was used elsewhere at that moment. */
  readonly peakBytes: number
  /** What is left: the limit less what is reserved and what is used elsewhere. */
  availableBytes(): number
  /** A new reservation of `bytes`, or undefined when they do not fit; an empty one (0) is always given. */
  tryReserve(bytes: number): MemoryReservation | undefined
  /** The state of the budget, for an error's details: never names what the bytes hold. */
  describe(): string
}

/**
 * One invocation's memory, shared by everything the host buffers for it (response bodies, decoders) and,
 * through `usedElsewhere`, the guest's own heap. Bytes are reserved while they live and given back when the
 * host lets go of them, so a function cannot make the host hold more than its memory limit by keeping the
 * bytes outside the sandbox.
 *
 * @example
 * const budget = createMemoryBudget({ limitBytes: 64 * 1024 * 1024 })
 * const body = budget.tryReserve(0)
 * if (!body?.tryGrow(chunk.length)) throw memoryLimitError({ budget, origin, needed: chunk.length })
 * // ... once the guest has the bytes:
 * body.release()
 */
export function createMemoryBudget({
  limitBytes,
  usedElsewhere = () => 0,
  onChange,
}: CreateMemoryBudgetParameters): MemoryBudget {
  let reserved = 0
  let peak = 0
  const fits = (bytes: number) => reserved + bytes + usedElsewhere() <= limitBytes
  const change = (delta: number) => {
    reserved += delta
    if (delta > 0) peak = Math.max(peak, reserved + usedElsewhere())
    onChange?.(reserved)
  }

  const budget: MemoryBudget = {
    limitBytes,
    get reservedBytes() {
      return reserved
    },
    get peakBytes() {
      return peak
    },
    availableBytes: () => Math.max(0, limitBytes - reserved - usedElsewhere()),
    tryReserve(bytes) {
      if (bytes > 0 && !fits(bytes)) return undefined
      let held = 0
      let released = false
      const reservation: MemoryReservation = {
        get bytes() {
          return held
        },
        tryGrow(more) {
          if (released || !fits(more)) return false
          held += more
          change(more)
          return true
        },
        shrink(less) {
          const given = Math.min(less, held)
          held -= given
          change(-given)
        },
        release() {
          if (released) return
          released = true
          const given = held
          held = 0
          change(-given)
        },
      }
      if (bytes > 0) reservation.tryGrow(bytes)
      return reservation
    },
    describe() {
      const elsewhere = usedElsewhere()
      return `limit ${limitBytes} bytes; ${reserved} held by the host for responses, ${elsewhere} used by the function's heap, ${budget.availableBytes()} left`
    },
  }
  return budget
}
