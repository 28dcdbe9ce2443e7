import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { compatDefaultLimits } from '../compat/compatDefaultLimits.js'
import { compatModeOf } from '../compat/compatMode.js'
import { compileQuickJSWasm } from './compileQuickJSWasm.js'
import { loadGuestSources } from './guest/loadGuestSources.js'
import { defaultLimits, defaultMaximumLimits, resolveLimits, type SandboxLimits } from './limits.js'
import type { SandboxInvocation } from './Sandbox.js'
import { InvalidHttpThreadsError, PoolClosedError, SandboxStartError } from './sandboxPoolErrors.js'
import { threadEntry } from './threadEntry.js'
import type { FromSandboxThread, SandboxThreadData, ToSandboxThread } from './threadProtocol.js'
import type { Invocation, InvocationOutcome } from './types.js'

export { InvalidHttpThreadsError, PoolClosedError, SandboxStartError } from './sandboxPoolErrors.js'

export type CreateSandboxPoolParameters = {
  /** Sandbox threads; each runs one invocation at a time. Defaults to the number of cores. */
  threads?: number | undefined
  /** Limits for invocations that ask for nothing else. */
  defaultLimits?: SandboxLimits | undefined
  /** The most an invocation may ask for. */
  maximumLimits?: SandboxLimits | undefined
  /** How long past its deadline a thread may run before it is terminated and replaced. */
  hardDeadlineGraceMs?: number | undefined
  /**
   * The most threads HTTP invocations (`context.trigger` `http`) hold at once; the rest stay for chain requests and
   * the CLI, which also go first when invocations wait. One less than `threads` by default (at least 1).
   */
  httpThreads?: number | undefined
}

export type SandboxPoolStats = {
  threads: number
  /** The most threads HTTP invocations hold at once. */
  httpThreads: number
  busy: number
  /** Threads running an HTTP invocation now. */
  busyHttp: number
  queued: number
  /** Threads terminated for overrunning their deadline, or lost to a crash, and replaced. */
  replaced: number
  /**
   * Engines that aborted while freeing a used runtime (it held objects QuickJS could not free) and were
   * replaced. The invocation's outcome stands, but each one is a sandbox bug worth reporting.
   */
  enginesAborted: number
  invocations: number
}

export type SandboxPool = {
  /** Runs a function in a fresh sandbox. Function failures resolve as outcomes; only misuse rejects. */
  invoke(invocation: Invocation): Promise<InvocationOutcome>
  stats(): SandboxPoolStats
  /** Stops every thread; queued invocations reject with `PoolClosedError`. */
  close(): Promise<void>
}

type Pending = {
  id: number
  invocation: SandboxInvocation
  resolve: (outcome: InvocationOutcome) => void
  reject: (error: unknown) => void
}

type Thread = {
  worker: Worker
  /** starting: loading QuickJS; ready: a sandbox is prepared; warming: preparing after a result; busy: running. */
  state: 'starting' | 'ready' | 'warming' | 'busy'
  current: (Pending & { watchdog: NodeJS.Timeout; dispatchedAt: number }) | undefined
}

const defaultGraceMs = 60
/** Consecutive thread start failures after which the pool stops retrying and fails invocations. */
const maxStartFailures = 3

/**
 * A supervised pool of sandbox threads. The main thread never runs guest code: it hands each invocation
 * to an idle thread and terminates (then replaces) any thread still running past the deadline plus a
 * small grace, since QuickJS polls its interrupt handler too rarely during some allocations to rely on it.
 */
export async function createSandboxPool({
  threads = availableParallelism(),
  defaultLimits: defaults = defaultLimits,
  maximumLimits = defaultMaximumLimits,
  hardDeadlineGraceMs = defaultGraceMs,
  httpThreads = Math.max(1, threads - 1),
}: CreateSandboxPoolParameters = {}): Promise<SandboxPool> {
  resolveLimits({ requested: defaults, defaults, maximum: maximumLimits })
  if (!Number.isInteger(httpThreads) || httpThreads < 1) throw new InvalidHttpThreadsError(httpThreads)
  const threadData: SandboxThreadData = {
    wasmModule: await compileQuickJSWasm(),
    maxHeapAllowanceBytes: maximumLimits.memoryBytes,
    retainedHeapBytes: defaults.memoryBytes,
    guestSources: loadGuestSources(),
  }
  const entry = threadEntry(import.meta.url, 'sandboxThread')
  const pool = new Set<Thread>()
  const queue: Pending[] = []
  let nextId = 0
  let closed = false
  let replaced = 0
  let enginesAborted = 0
  let invocations = 0
  let startFailures = 0
  let startError: SandboxStartError | undefined

  const startThread = (): Promise<void> =>
    new Promise((resolveStarted) => {
      const worker = new Worker(entry, { workerData: threadData })
      const thread: Thread = { worker, state: 'starting', current: undefined }
      pool.add(thread)
      worker.on('message', (message: FromSandboxThread) => {
        if (message.type === 'ready') {
          startFailures = 0
          thread.state = 'ready'
          resolveStarted()
        } else if (message.type === 'idle') {
          if (message.engineAborted) enginesAborted++
          if (thread.state === 'warming') thread.state = 'ready'
        } else if (message.type === 'result' && thread.current?.id === message.id) {
          const { watchdog, resolve } = thread.current
          clearTimeout(watchdog)
          thread.current = undefined
          thread.state = 'warming'
          resolve(message.outcome)
        }
        dispatch()
      })
      worker.on('error', (error) => lose(thread, error))
      worker.on('exit', (code) => {
        lose(thread, new Error(`the sandbox thread exited with code ${code}`))
        resolveStarted()
      })
    })

  /** A thread died or was killed: answer its invocation, then replace it. */
  const lose = (thread: Thread, error: Error, outcome?: InvocationOutcome) => {
    if (!pool.delete(thread)) return
    const { current } = thread
    if (thread.state === 'starting') {
      startFailures++
      if (startFailures >= maxStartFailures) startError = new SandboxStartError(error)
    }
    if (current) {
      clearTimeout(current.watchdog)
      current.resolve(
        outcome ??
          failure(
            'INTERNAL_ERROR',
            `The sandbox thread crashed: ${error.message}`,
            performance.now() - current.dispatchedAt,
          ),
      )
    }
    void thread.worker.terminate()
    if (closed) return
    if (startError) {
      for (const pending of queue.splice(0)) pending.reject(startError)
      return
    }
    replaced++
    void startThread().then(dispatch)
  }

  const dispatch = () => {
    while (queue.length > 0) {
      const next = nextPending()
      if (next === -1) return
      const thread = pick()
      if (!thread) return
      const [pending] = queue.splice(next, 1) as [Pending]
      const { timeoutMs } = pending.invocation.limits
      const watchdog = setTimeout(() => {
        lose(
          thread,
          new Error('deadline overrun'),
          failure(
            'TIMEOUT',
            `The function did not finish within its ${timeoutMs} ms deadline; its sandbox was stopped.`,
            timeoutMs + hardDeadlineGraceMs,
          ),
        )
      }, timeoutMs + hardDeadlineGraceMs)
      thread.state = 'busy'
      thread.current = { ...pending, watchdog, dispatchedAt: performance.now() }
      const message: ToSandboxThread = { type: 'invoke', id: pending.id, invocation: pending.invocation }
      thread.worker.postMessage(message)
    }
  }

  /**
   * The index of the invocation to run next: the first that is not HTTP (a sleeping HTTP function holds its thread,
   * so chain requests must never queue behind them), else the first HTTP one while HTTP holds fewer than
   * `httpThreads` threads; -1 when none may run now.
   */
  const nextPending = (): number => {
    const other = queue.findIndex((pending) => !isHttp(pending))
    if (other !== -1) return other
    let busyHttp = 0
    for (const thread of pool) if (thread.current && isHttp(thread.current)) busyHttp++
    return busyHttp < httpThreads ? 0 : -1
  }

  /** A thread with a prepared sandbox first; one still preparing its next sandbox will take it right after. */
  const pick = (): Thread | undefined => {
    let warming: Thread | undefined
    for (const thread of pool) {
      if (thread.state === 'ready') return thread
      if (thread.state === 'warming') warming ??= thread
    }
    return warming
  }

  await Promise.all(Array.from({ length: Math.max(1, threads) }, startThread))
  if (startError) {
    await Promise.all([...pool].map((thread) => thread.worker.terminate()))
    throw startError
  }

  return {
    invoke(invocation) {
      if (closed) return Promise.reject(new PoolClosedError())
      if (startError) return Promise.reject(startError)
      let limits: SandboxLimits
      try {
        // A function built in a compat mode gets its home platform's limits by default (its bundle names the mode).
        const modeDefaults = compatDefaultLimits(compatModeOf(invocation.code), defaults)
        limits = resolveLimits({
          requested: invocation.limits,
          defaults: modeDefaults,
          maximum: maximumLimits,
        })
      } catch (error) {
        return Promise.reject(error)
      }
      invocations++
      return new Promise<InvocationOutcome>((resolve, reject) => {
        queue.push({ id: ++nextId, invocation: { ...invocation, limits }, resolve, reject })
        dispatch()
      })
    },
    stats() {
      let busy = 0
      let busyHttp = 0
      for (const thread of pool) {
        if (thread.state === 'busy') busy++
        if (thread.current && isHttp(thread.current)) busyHttp++
      }
      return {
        threads: pool.size,
        httpThreads,
        busy,
        busyHttp,
        queued: queue.length,
        replaced,
        enginesAborted,
        invocations,
      }
    },
    async close() {
      if (closed) return
      closed = true
      for (const pending of queue.splice(0)) pending.reject(new PoolClosedError())
      const stopping = [...pool].map((thread) => {
        if (thread.current) {
          clearTimeout(thread.current.watchdog)
          thread.current.reject(new PoolClosedError())
        }
        return thread.worker.terminate()
      })
      pool.clear()
      await Promise.all(stopping)
    },
  }
}

function isHttp(pending: Pending): boolean {
  return pending.invocation.context.trigger === 'http'
}

function failure(code: 'TIMEOUT' | 'INTERNAL_ERROR', message: string, durationMs: number): InvocationOutcome {
  // A thread stopped at its deadline was busy all along, as far as anyone can tell.
  const stats = { durationMs, fetches: 0, cpuMs: durationMs }
  return { ok: false, result: null, error: { code, message }, logs: [], stats }
}
