/** What one HTTP caller may use of a worker. */
export type CallerQuotaSettings = {
  /** Invocations of one caller running at once in this worker; more wait their turn. */
  concurrency: number
  /** CPU time one caller may use per window, in ms (the sandbox thread's busy time, `InvocationStats.cpuMs`). */
  cpuMs: number
  /** The window, in ms: a caller's spent CPU time drains at `cpuMs` per `windowMs`, continuously. */
  windowMs: number
}

export type CreateCallerQuotasParameters = Partial<CallerQuotaSettings> & {
  /** Callers remembered at most; idle ones whose CPU time has drained are forgotten first. Default 10,000. */
  maxCallers?: number | undefined
  /** The clock, in ms; `Date.now` by default. */
  now?: (() => number) | undefined
}

export type CallerAdmission =
  | {
      admitted: true
      /** The invocation ended: frees its slot and charges the CPU time it used. Idempotent. */
      done(cpuMs: number): void
    }
  | {
      admitted: false
      /** `CONCURRENCY`: the caller has `concurrency` invocations running; `CPU_TIME`: its CPU time is spent. */
      reason: 'CONCURRENCY' | 'CPU_TIME'
      /** When trying again may succeed. */
      retryAfterMs: number
      /** For the caller; never names the caller (its identity may be an API key). */
      message: string
    }

export type CallerQuotas = {
  readonly settings: CallerQuotaSettings
  /** Admits an invocation of `caller` now, or says why not. */
  admit(caller: string): CallerAdmission
  /** Callers remembered now. */
  size(): number
}

/** Half a sandbox thread per caller (30 s of CPU a minute), and 4 invocations at once, unless configured. */
export const defaultCallerQuotaSettings: CallerQuotaSettings = Object.freeze({
  concurrency: 4,
  cpuMs: 30_000,
  windowMs: 60_000,
})

const concurrencyRetryMs = 100

/**
 * Per-caller quotas of a worker, so that one HTTP caller cannot take every sandbox thread or all of their
 * time: at most `concurrency` of its invocations run at once, and its CPU time is a bucket that drains at
 * `cpuMs` per `windowMs`. An invocation is admitted while the bucket is below `cpuMs` and charged when it
 * ends, so one caller overshoots by at most what its running invocations use (each bounded by its deadline).
 *
 * @example
 * const quotas = createCallerQuotas({ concurrency: 2, cpuMs: 10_000, windowMs: 60_000 })
 * const admission = quotas.admit(job.caller)
 * if (admission.admitted) {
 *   const outcome = await pool.invoke(invocation)
 *   admission.done(outcome.stats.cpuMs)
 * }
 */
export function createCallerQuotas({
  concurrency = defaultCallerQuotaSettings.concurrency,
  cpuMs = defaultCallerQuotaSettings.cpuMs,
  windowMs = defaultCallerQuotaSettings.windowMs,
  maxCallers = 10_000,
  now = Date.now,
}: CreateCallerQuotasParameters = {}): CallerQuotas {
  const settings: CallerQuotaSettings = Object.freeze({ concurrency, cpuMs, windowMs })
  type State = { running: number; spentMs: number; at: number }
  const callers = new Map<string, State>()
  const drainPerMs = cpuMs / windowMs

  const drain = (state: State, at: number) => {
    state.spentMs = Math.max(0, state.spentMs - (at - state.at) * drainPerMs)
    state.at = at
  }
  const forgetIdle = (at: number) => {
    for (const [caller, state] of callers) {
      drain(state, at)
      if (state.running === 0 && state.spentMs === 0) callers.delete(caller)
    }
  }

  return {
    settings,
    admit(caller) {
      const at = now()
      let state = callers.get(caller)
      if (state === undefined) {
        if (callers.size >= maxCallers) forgetIdle(at)
        state = { running: 0, spentMs: 0, at }
        callers.set(caller, state)
      }
      drain(state, at)
      if (state.spentMs >= cpuMs) {
        const retryAfterMs = Math.max(1, Math.ceil((state.spentMs - cpuMs) / drainPerMs))
        return {
          admitted: false,
          reason: 'CPU_TIME',
          retryAfterMs,
          message: `This caller used its CPU-time quota (${cpuMs} ms per ${windowMs} ms); retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
        }
      }
      if (state.running >= concurrency) {
        return {
          admitted: false,
          reason: 'CONCURRENCY',
          retryAfterMs: concurrencyRetryMs,
          message: `This caller has ${concurrency} invocations running, its limit; this one waits its turn.`,
        }
      }
      state.running++
      const admitted = state
      let ended = false
      return {
        admitted: true,
        done(usedMs) {
          if (ended) return
          ended = true
          drain(admitted, now())
          admitted.running--
          admitted.spentMs += Math.max(0, usedMs)
        },
      }
    },
    size: () => callers.size,
  }
}
